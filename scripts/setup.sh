#!/usr/bin/env bash
# Installs what deploy-nn needs on Debian 12 + Node 20: the npm packages (npm ci also compiles the TypeScript into
# dist/), then the Debian packages that `deploy-nn doctor --apt` names as missing. The list of tools and their packages
# lives in one place, host/core/tools.ts (the AVR toolchain, the Arduino core, arduino-builder, avrdude, socat, Chromium
# for the dashboard tests). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e 'const [maj]=process.versions.node.split(".").map(Number); if (maj < 20) { console.error("setup: deploy-nn needs Node 20 or newer, this is " + process.version); process.exit(1); }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi

apt_packages=$(node bin/deploy-nn.js doctor --apt)
if [ -n "$apt_packages" ]; then
  read -r -d '' -a missing <<<"$apt_packages" || true
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The table of what is there; exits 3 (and stops setup) if deploy-nn --board uno still cannot run.
node bin/deploy-nn.js doctor
echo "setup: ready"
