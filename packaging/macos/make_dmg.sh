#!/usr/bin/env bash
# Build Hearth.app and Hearth.dmg on a Mac (Apple Silicon for Metal).
#
#   make setup                       # .venv with llama-cpp-python built with -DGGML_METAL=on
#   bash packaging/macos/make_dmg.sh # -> dist/Hearth.app, dist/Hearth.dmg
#
# Signs with $HEARTH_SIGN_IDENTITY (a "Developer ID Application: ..." identity), or ad hoc
# ("-") when unset, which runs on the building Mac only. Either way the hardened runtime
# gets packaging/macos/entitlements.plist: without com.apple.security.device.audio-input
# (and NSMicrophoneUsageDescription in Info.plist, which the spec merges in) macOS hands
# the app silence instead of the microphone, and push-to-talk hears nothing.
# Notarise afterwards with `xcrun notarytool submit dist/Hearth.dmg --wait`.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(uname -s)" = Darwin ] || { echo "make_dmg.sh: builds on macOS only" >&2; exit 2; }
.venv/bin/python -c 'import llama_cpp, sys; sys.exit(0 if llama_cpp.llama_supports_gpu_offload() else 1)' \
  || { echo "make_dmg.sh: .venv's llama-cpp-python has no Metal; run 'make clean setup' on Apple Silicon" >&2; exit 2; }

.venv/bin/pyinstaller --noconfirm packaging/hearth.spec
identity="${HEARTH_SIGN_IDENTITY:--}"
timestamp=(--timestamp)
[ "$identity" = "-" ] && timestamp=()   # an ad hoc signature cannot be timestamped
codesign --force --deep "${timestamp[@]}" --options runtime \
  --entitlements packaging/macos/entitlements.plist --sign "$identity" dist/Hearth.app
codesign --verify --strict --verbose=2 dist/Hearth.app
codesign --display --entitlements - dist/Hearth.app | grep -q com.apple.security.device.audio-input

rm -f dist/Hearth.dmg
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R dist/Hearth.app "$staging/"
ln -s /Applications "$staging/Applications"   # drag-to-install
hdiutil create -volname Hearth -srcfolder "$staging" -fs HFS+ -format UDZO -ov dist/Hearth.dmg
echo "dist/Hearth.dmg: $(du -h dist/Hearth.dmg | cut -f1)"
