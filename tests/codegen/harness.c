/* Host-compiled harness: the generated nn_model.h and the runtime, built with the host's gcc, driven by test vectors. */
/* Modes (argv[1]):
 *   predict  stdin: one line of 8n hex digits (float32 bits) per row; stdout: the outputs as 8m hex digits per row
 *   model    stdout: every constant as float32 bits ("w <layer> <bits>", "b ...", "o ...", "s ...") and every
 *            input name and label as the hex of its bytes ("n <hex>", "l <hex>")
 *   serial   stdin: raw bytes, as a board receives them; stdout: what the bridge sketch sends back (cycles 0)
 */
#include <stdio.h>
#include <string.h>
#include "nn_model.h"
#include "nn_protocol.h"

static void put_stdout(uint8_t c) {
  putchar(c);
}

static int hex_nibble(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void print_bits(float x) {
  printf("%08lx", (unsigned long)nn_float_bits(x));
}

static void print_string_hex(char tag, const char *s) {
  printf("%c ", tag);
  for (; *s; s++) printf("%02x", (unsigned)(unsigned char)*s);
  printf("\n");
}

static int run_predict(void) {
  static char line[16 * NN_INPUTS + 16];
  float in[NN_INPUTS], out[NN_OUTPUTS];
  while (fgets(line, sizeof line, stdin)) {
    int i, k;
    for (i = 0; i < NN_INPUTS; i++) {
      uint32_t u = 0;
      for (k = 0; k < 8; k++) {
        int v = hex_nibble(line[8 * i + k]);
        if (v < 0) {
          fprintf(stderr, "harness: bad hex in input %d\n", i);
          return 2;
        }
        u = (u << 4) | (uint32_t)v;
      }
      in[i] = nn_bits_float(u);
    }
    nn_predict(in, out);
    for (i = 0; i < NN_OUTPUTS; i++) print_bits(out[i]);
    printf("\n");
  }
  return 0;
}

#define NN_DUMP_LAYER(number, weights, biases, inputs, outputs)                           \
  for (o = 0; o < (outputs); o++)                                                        \
    for (i = 0; i < (inputs); i++) printf("w %d ", number), print_bits(weights[o][i]), printf("\n"); \
  for (o = 0; o < (outputs); o++) printf("b %d ", number), print_bits(biases[o]), printf("\n");

static int run_model(void) {
  int i, o;
  for (i = 0; i < NN_INPUTS; i++) printf("o "), print_bits(nn_norm_offset[i]), printf("\n");
  for (i = 0; i < NN_INPUTS; i++) printf("s "), print_bits(nn_norm_scale[i]), printf("\n");
  NN_LAYER_TABLE(NN_DUMP_LAYER)
  for (i = 0; i < NN_INPUTS; i++) print_string_hex('n', nn_input_names[i]);
#if NN_LABEL_COUNT > 0
  for (i = 0; i < NN_LABEL_COUNT; i++) print_string_hex('l', nn_labels[i]);
#endif
  printf("h %s\n", nn_model_hash);
  return 0;
}

/* The bridge sketch's loop(), without Serial and Timer1: same decoder, same frames. */
static int run_serial(void) {
  static nn_decoder rx;
  static float pending[NN_INPUTS], out[NN_OUTPUTS];
  int c;
  uint16_t i;
  nn_decoder_init(&rx, pending, NN_INPUTS);
  nn_send_ready(put_stdout, nn_model_hash, nn_board_id, NN_INPUTS, NN_OUTPUTS);
  while ((c = getchar()) != EOF) {
    switch (nn_decode(&rx, (uint8_t)c)) {
      case NN_EV_REQUEST:
        nn_predict(pending, out);
        nn_send_reply(put_stdout, rx.seq, out, NN_OUTPUTS, 0);
        break;
      case NN_EV_ERROR:
        nn_send_error(put_stdout, &rx);
        break;
      case NN_EV_QUERY:
        nn_send_ready(put_stdout, nn_model_hash, nn_board_id, NN_INPUTS, NN_OUTPUTS);
        break;
      case NN_EV_HUMAN:
        printf("human count=%u error=%u values=", (unsigned)rx.count, (unsigned)rx.error);
        for (i = 0; i < rx.count && i < NN_INPUTS; i++) print_bits(pending[i]);
        printf("\n");
        break;
      default:
        break;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "predict") == 0) return run_predict();
  if (argc == 2 && strcmp(argv[1], "model") == 0) return run_model();
  if (argc == 2 && strcmp(argv[1], "serial") == 0) return run_serial();
  fprintf(stderr, "usage: harness predict|model|serial\n");
  return 2;
}
