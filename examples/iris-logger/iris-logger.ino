// iris-logger: classifies rows of raw measurements typed into the Serial Monitor (sepal length, sepal width,
// petal length, petal width in cm, separated by commas) with the exported model, and prints the label.
#include <Wire.h>
#include <EEPROM.h>
#include <iris_nn.h>

// Settings kept in EEPROM (address 0) by a set-up sketch; defaults when the marker is not there.
struct Settings {
  uint8_t marker;
  uint8_t i2cAddress;
};
const uint8_t SETTINGS_MARKER = 0xA5;

Settings settings;
float inputs[iris_nn::INPUTS];
float outputs[iris_nn::OUTPUTS];

void setup() {
  Serial.begin(115200);
  Wire.begin();
  Wire.setClock(100000);
  loadSettings();
  Serial.print(F("iris-logger ready, display at 0x"));
  Serial.println(settings.i2cAddress, HEX);
}

void loop() {
  if (!readRow()) return;
  iris_nn::nn_predict(inputs, outputs);
  Serial.println(iris_nn::label(iris_nn::nn_predict_class(outputs)));
}

// Called above, defined below: the Arduino build makes the prototypes.
bool readRow() {
  static char line[64];
  static uint8_t length = 0;
  while (Serial.available() > 0) {
    char c = Serial.read();
    if (c == '\r') continue;
    if (c != '\n') {
      if (length < sizeof line - 1) line[length++] = c;
      continue;
    }
    line[length] = '\0';
    length = 0;
    return parseRow(line);
  }
  return false;
}

bool parseRow(const char *text) {
  for (uint16_t i = 0; i < iris_nn::INPUTS; i++) {
    char *end;
    inputs[i] = strtod(text, &end);
    if (end == text) {
      Serial.println(F("expected numbers separated by commas"));
      return false;
    }
    text = *end == ',' ? end + 1 : end;
  }
  return true;
}

void loadSettings() {
  EEPROM.get(0, settings);
  if (settings.marker != SETTINGS_MARKER) settings = { SETTINGS_MARKER, 0x3C };
}
