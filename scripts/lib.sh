# Shared by the scripts in this folder: package set-up and build helpers.
# Sourced, not run.

SYNOD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYNOD_JOBS=${SYNOD_JOBS:-2}

# The Debian packages every build needs.
SYNOD_BASE_PACKAGES=(g++ clang-14 cmake ninja-build librange-v3-dev libboost-dev
                     libboost-test-dev libbenchmark-dev)

# The cross toolchain and emulator for examples/embedded (scripts/embedded). The light set:
# without recommends, and without libstdc++-arm-none-eabi-newlib (images link with the C driver).
SYNOD_EMBEDDED_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-dev
                         qemu-system-arm)

# libFuzzer for clang 14 (scripts/fuzz).
SYNOD_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# Headless Chromium renders synod-sim --html pages in the sim.html_timeline tests (scripts/test).
SYNOD_BROWSER_PACKAGES=(chromium)

# Installs the named Debian packages that are missing; silent when none is.
synod_ensure_packages() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures and builds one CMake preset quietly (all targets, or those named after the preset);
# prints the log on failure.
synod_build() {
    local preset=$1
    shift
    local targets=()
    [ $# -gt 0 ] && targets=(--target "$@")
    local log="$SYNOD_ROOT/build/$preset.log"
    mkdir -p "$SYNOD_ROOT/build"
    if ! { cmake --preset "$preset" -S "$SYNOD_ROOT" && cmake --build "$SYNOD_ROOT/build/$preset" -j "$SYNOD_JOBS" "${targets[@]}"; } >"$log" 2>&1; then
        echo "== build $preset FAILED; the end of $log:"
        tail -n 60 "$log"
        return 1
    fi
}
