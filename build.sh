#!/usr/bin/env bash
# The project's two entry points on a fresh Linux x64 machine with only the .NET SDK:
#   ./build.sh test            build everything and run the whole test suite
#   ./build.sh train [ARGS]    run the main job: train a classifier on the embedded digits dataset
# Any other Dataflow.Samples command runs the same way: ./build.sh scan --data DIR, ./build.sh bench --data DIR ...
set -euo pipefail
cd "$(dirname "$0")"

# OpenCvSharp's Linux runtime (libOpenCvSharpExtern.so) links against GTK 3: without it the native
# library does not load and every decode fails with a DllNotFoundException.
ensure_native_prerequisites() {
  [ "$(uname -s)" = "Linux" ] || return 0
  # grep reads the whole list (no -q): with pipefail, an early exit would kill ldconfig with SIGPIPE
  # and make the check fail even though the library is there.
  if ldconfig -p | grep 'libgtk-3\.so\.0' >/dev/null; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing libgtk-3-0 (needed by OpenCvSharp's native runtime)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgtk-3-0 >/dev/null
    ldconfig
    return 0
  fi
  echo "build.sh: OpenCvSharp needs libgtk-3-0, which is not installed. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y libgtk-3-0" >&2
  exit 1
}

# The permission tests run the samples app as the unprivileged user nobody (root reads any folder whatever its
# mode) with setpriv, from util-linux.
ensure_test_prerequisites() {
  [ "$(uname -s)" = "Linux" ] || return 0
  command -v setpriv >/dev/null && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing util-linux (setpriv, needed by the permission tests)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux >/dev/null
  fi
}

# The distributed tests launch the samples app with Open MPI's mpirun (real processes, a real launcher).
ensure_mpi_prerequisites() {
  [ "$(uname -s)" = "Linux" ] || return 0
  if command -v mpirun >/dev/null; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing openmpi-bin (mpirun, for the distributed tests)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin >/dev/null
    return 0
  fi
  echo "build.sh: the distributed tests need Open MPI's mpirun, which is not installed. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y openmpi-bin" >&2
  exit 1
}

command=${1:-train}
[ $# -gt 0 ] && shift
ensure_native_prerequisites
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case "$command" in
  test)
    ensure_test_prerequisites
    ensure_mpi_prerequisites
    dotnet build Dataflow.sln -c Release -nologo -clp:ErrorsOnly
    log=$(mktemp)
    set +e
    dotnet test Dataflow.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    # One plain summary line over every test assembly.
    awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
         END { gsub(",", "", p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    rm -f "$log"
    exit "$status"
    ;;
  *)
    dotnet build Dataflow.Samples -c Release -nologo -clp:ErrorsOnly >/dev/null
    exec dotnet Dataflow.Samples/bin/Release/net10.0/Dataflow.Samples.dll "$command" "$@"
    ;;
esac
