#!/usr/bin/env bash
# The project's two entry points on a fresh Linux x64 machine with only the .NET SDK:
#   ./build.sh test            build everything and run the whole test suite
#   ./build.sh train [ARGS]    run the main job: train a classifier on the embedded digits dataset
#   ./build.sh package         pack the library and build and run an app that restores it from the local package folder
# Any other Dataflow.Samples command runs the same way: ./build.sh scan --data DIR, ./build.sh bench --data DIR ...
set -euo pipefail
cd "$(dirname "$0")"

# Runs a build step (dotnet build, pack, publish) without its progress output; when it fails, what it printed (the
# compiler's errors) goes to stderr, so a failed step never ends the script without saying why.
quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" = 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

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

# The object-storage tests run real servers: Azurite (Azure Blob) and s3rver (S3), from npm into .tools/
# (git-ignored). Node.js comes from apt when it is missing and this runs as root.
AZURITE_VERSION=3.37.0
S3RVER_VERSION=3.7.1
ensure_test_servers() {
  local tools=.tools
  if [ -f "$tools/node_modules/azurite/package.json" ] && [ -f "$tools/node_modules/s3rver/package.json" ] \
    && grep -q "\"version\": \"$AZURITE_VERSION\"" "$tools/node_modules/azurite/package.json" \
    && grep -q "\"version\": \"$S3RVER_VERSION\"" "$tools/node_modules/s3rver/package.json" \
    && command -v node >/dev/null; then
    return 0
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "build.sh: installing nodejs and npm (the object-storage tests run Azurite and s3rver)" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "build.sh: the object-storage tests need Node.js and npm, which are not installed. Run:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y nodejs npm" >&2
      exit 1
    fi
  fi
  echo "build.sh: installing azurite@$AZURITE_VERSION and s3rver@$S3RVER_VERSION into $tools/ (once)" >&2
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{ "private": true }' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" "s3rver@$S3RVER_VERSION" >&2
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

# Packs the library into artifacts/packages and builds and runs samples/consumer, an app that restores it from
# there (not a project reference) with the OpenCV runtime for its platform, as a user's app would.
# A version of its own each run, so the NuGet cache never serves an older pack of the same version.
check_package() {
  local version
  version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
  rm -rf artifacts/packages samples/consumer/bin "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/dataflow.pipeline/0.1.0-local.*
  quietly dotnet build Dataflow.Pipeline -c Release -nologo -clp:ErrorsOnly
  quietly dotnet pack Dataflow.Pipeline -c Release --no-build -nologo -clp:ErrorsOnly -o artifacts/packages -p:PackageVersion="$version"
  ls artifacts/packages/Dataflow.Pipeline."$version".nupkg artifacts/packages/Dataflow.Pipeline."$version".snupkg >/dev/null
  quietly dotnet build samples/consumer -c Release -nologo -clp:ErrorsOnly -p:DataflowPipelineVersion="$version"
  dotnet samples/consumer/bin/Release/net10.0/PackageConsumer.dll "$version"
  # The same app as a native AOT executable: the library must trim and run without a JIT (no warnings allowed).
  # Linux only here (a Windows native publish needs the MSVC linker).
  [ "$(uname -s)" = "Linux" ] || return 0
  ensure_native_aot_prerequisites
  quietly dotnet publish samples/consumer -c Release --use-current-runtime -p:PublishAot=true -nologo -clp:ErrorsOnly \
    -p:DataflowPipelineVersion="$version" -o samples/consumer/bin/native
  samples/consumer/bin/native/PackageConsumer "$version"
}

# A native AOT publish links with the platform's C compiler (clang, or gcc when there is no clang).
ensure_native_aot_prerequisites() {
  [ "$(uname -s)" = "Linux" ] || return 0
  if command -v clang >/dev/null || command -v gcc >/dev/null; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing clang (the native AOT publish links with it)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
    return 0
  fi
  echo "build.sh: a native AOT publish needs clang (or gcc), which is not installed. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y clang" >&2
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
    ensure_test_servers
    dotnet build Dataflow.sln -c Release -nologo -clp:ErrorsOnly
    log=$(mktemp)
    set +e
    dotnet test Dataflow.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    (set -e; check_package)
    package_status=$?
    set -e
    # One plain summary line over every test assembly (the package check counts as one more test).
    awk -v pkg="$package_status" '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
         END { gsub(",", "", p); if (pkg == 0) p++; else f++; printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    rm -f "$log"
    [ "$status" = 0 ] || exit "$status"
    exit "$package_status"
    ;;
  package)
    check_package
    ;;
  bench)
    # The bench runs a ReadyToRun build of the samples app, as a trainer is deployed: start-up and the first
    # epoch are not spent compiling the library's code (docs/performance.md). DATAFLOW_BENCH_JIT=1 measures the
    # plain build instead (its own process runs every measurement).
    if [ "${DATAFLOW_BENCH_JIT:-0}" = "1" ]; then
      quietly dotnet build Dataflow.Samples -c Release -nologo -clp:ErrorsOnly
      exec dotnet Dataflow.Samples/bin/Release/net10.0/Dataflow.Samples.dll bench "$@"
    fi
    # Native on Linux (checked by the package test); elsewhere the ReadyToRun build unless asked for.
    [ "$(uname -s)" = "Linux" ] && bench_build=native || bench_build=r2r
    bench_build=${DATAFLOW_BENCH_BUILD:-$bench_build}
    case "$bench_build" in
      native|r2r) ;;
      *) echo "build.sh: DATAFLOW_BENCH_BUILD must be native or r2r, was '${DATAFLOW_BENCH_BUILD}'" >&2; exit 2 ;;
    esac
    quietly dotnet publish Dataflow.Samples -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
      -p:DataflowBuildKind=r2r -o artifacts/bench -nologo -clp:ErrorsOnly
    # Each measurement runs in a native AOT build of the app (how a trainer that wants a fast start is deployed:
    # nothing compiled at run time; docs/performance.md), for this machine's instruction set (as the JIT compiles),
    # in its own build folders so the everyday build and this one do not rebuild each other. The Roslyn analyzers are
    # off for it: they flag the other commands' reflection, which this build drops; the AOT compiler still fails on
    # anything reachable. DATAFLOW_BENCH_BUILD=r2r measures the ReadyToRun build instead.
    if [ "$bench_build" = "native" ]; then
      ensure_native_aot_prerequisites
      echo "build.sh: publishing the native AOT build of the bench (a minute or two when the code has changed)" >&2
      quietly dotnet publish Dataflow.Samples -c Release --use-current-runtime -p:PublishAot=true -p:DataflowBuildKind=native \
        -p:IlcInstructionSet=native -p:EnableAotAnalyzer=false -p:EnableTrimAnalyzer=false -p:EnableSingleFileAnalyzer=false \
        -o artifacts/bench-native -nologo -clp:ErrorsOnly
      export DATAFLOW_BENCH_CHILD="$PWD/artifacts/bench-native/Dataflow.Samples"
    fi
    exec dotnet artifacts/bench/Dataflow.Samples.dll bench "$@"
    ;;
  *)
    quietly dotnet build Dataflow.Samples -c Release -nologo -clp:ErrorsOnly
    exec dotnet Dataflow.Samples/bin/Release/net10.0/Dataflow.Samples.dll "$command" "$@"
    ;;
esac
