#!/usr/bin/env bash
# Installs what deploy-nn needs on Debian 12 + Node 20: the AVR toolchain, the Arduino core, socat, avrdude,
# Chromium for the dashboard tests, then the npm packages (npm ci also compiles the TypeScript into dist/).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command to check -> Debian package
declare -A NEED=(
  [avr-gcc]=gcc-avr
  [avr-size]=binutils-avr
  [socat]=socat
  [avrdude]=avrdude
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [arm-none-eabi-gcc]=gcc-arm-none-eabi
  [qemu-arm]=qemu-user
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
[ -f /usr/lib/avr/include/avr/io.h ] || missing+=(avr-libc)
[ -d /usr/share/arduino/hardware/arduino/avr/cores/arduino ] || missing+=(arduino-core-avr)
# The float-parity tests cross-build the runtime for a Cortex-M4F and run it under qemu-arm (newlib's semihosting).
[ -f /usr/lib/arm-none-eabi/lib/rdimon.specs ] || missing+=(libnewlib-arm-none-eabi)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node -e 'const [maj]=process.versions.node.split(".").map(Number); if (maj < 20) { console.error("setup: deploy-nn needs Node 20 or newer, this is " + process.version); process.exit(1); }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi
echo "setup: ready"
