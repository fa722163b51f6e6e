#!/usr/bin/env bash
# The project's two entry points on a fresh Linux x64 machine with only the .NET SDK:
#   ./build.sh test            build everything and run the whole test suite
#   ./build.sh train [ARGS]    run the main job: train a classifier on the embedded digits dataset
#   ./build.sh api             generate the API reference from the XML docs into artifacts/api (docfx)
#   ./build.sh package         pack the library into artifacts/packages, then build and run an app that restores it from
#                              there and every C# block of the readmes against it (--no-check: pack only)
# Any other Dataflow.Samples command runs the same way: ./build.sh scan --data DIR, ./build.sh digest ...
# The measurements are the tools app's (Dataflow.Tools): ./build.sh bench --data DIR, ./build.sh micro, ./build.sh soak,
# ./build.sh decode-quality --data DIR
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

# The TFRecord tests read files written by an independent writer: Python with Debian's protobuf runtime.
ensure_python_protobuf() {
  [ "$(uname -s)" = "Linux" ] || return 0
  /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing python3-protobuf (the TFRecord tests' independent writer)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-protobuf >/dev/null
  fi
}

# The object-storage tests run real servers: Azurite (Azure Blob) and s3rver (S3), from npm into .tools/
# (git-ignored). Node.js comes from apt when it is missing and this runs as root.
AZURITE_VERSION=3.37.0
S3RVER_VERSION=3.7.1
# The Parquet tests read files written by DuckDB (its Node.js package), not only by our fixture writer.
DUCKDB_NODE_VERSION=1.5.6-r.1
ensure_test_servers() {
  local tools=.tools
  if [ -f "$tools/node_modules/azurite/package.json" ] && [ -f "$tools/node_modules/s3rver/package.json" ] \
    && [ -f "$tools/node_modules/@duckdb/node-api/package.json" ] \
    && grep -q "\"version\": \"$AZURITE_VERSION\"" "$tools/node_modules/azurite/package.json" \
    && grep -q "\"version\": \"$S3RVER_VERSION\"" "$tools/node_modules/s3rver/package.json" \
    && grep -q "\"version\": \"$DUCKDB_NODE_VERSION\"" "$tools/node_modules/@duckdb/node-api/package.json" \
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
  echo "build.sh: installing azurite@$AZURITE_VERSION, s3rver@$S3RVER_VERSION and @duckdb/node-api@$DUCKDB_NODE_VERSION into $tools/ (once)" >&2
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{ "private": true }' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" "s3rver@$S3RVER_VERSION" "@duckdb/node-api@$DUCKDB_NODE_VERSION" >&2
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

# The version of a local pack: the library's VersionPrefix, then "local", the commit's height and its short hash
# (0.1.0-local.286.gf747e30), so that a later commit packs a higher version and the same commit the same version
# (the build is deterministic: the same bytes). A tree with uncommitted changes adds the time of the pack
# (.dev.20261204193000): its content is new, so its version is too. Earlier packs are never deleted, from
# artifacts/packages or from the NuGet cache: an app that restored one keeps restoring it.
package_version() {
  local prefix height hash
  prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Dataflow.Pipeline/Dataflow.Pipeline.csproj)
  if ! height=$(git rev-list --count HEAD 2>/dev/null) || ! hash=$(git rev-parse --short=7 HEAD 2>/dev/null); then
    echo "$prefix-local.0.dev.$(date -u +%Y%m%d%H%M%S)"
    return 0
  fi
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "$prefix-local.$height.g$hash.dev.$(date -u +%Y%m%d%H%M%S)"
  else
    echo "$prefix-local.$height.g$hash"
  fi
}

# Packs the library into artifacts/packages. The repository and project URLs go into the package when
# DATAFLOW_REPOSITORY_URL (and DATAFLOW_PROJECT_URL, which defaults to it) are set.
pack_library() {
  local version=$1 url_args=()
  if [ -n "${DATAFLOW_REPOSITORY_URL:-}" ]; then
    url_args+=(-p:RepositoryUrl="$DATAFLOW_REPOSITORY_URL" -p:PackageProjectUrl="${DATAFLOW_PROJECT_URL:-$DATAFLOW_REPOSITORY_URL}")
  elif [ -n "${DATAFLOW_PROJECT_URL:-}" ]; then
    url_args+=(-p:PackageProjectUrl="$DATAFLOW_PROJECT_URL")
  fi
  say "building Dataflow.Pipeline (Release)"
  quietly dotnet build Dataflow.Pipeline -c Release -nologo -clp:ErrorsOnly "${url_args[@]}"
  quietly dotnet build Dataflow.Pipeline.S3 -c Release -nologo -clp:ErrorsOnly "${url_args[@]}"
  quietly dotnet build Dataflow.Pipeline.Azure -c Release -nologo -clp:ErrorsOnly "${url_args[@]}"
  quietly dotnet build Dataflow.Pipeline.Parquet -c Release -nologo -clp:ErrorsOnly "${url_args[@]}"
  local package
  for package in Dataflow.Pipeline Dataflow.Pipeline.S3 Dataflow.Pipeline.Azure Dataflow.Pipeline.Parquet; do
    say "packing $package $version into artifacts/packages"
    quietly dotnet pack "$package" -c Release --no-build -nologo -clp:ErrorsOnly -o artifacts/packages \
      -p:PackageVersion="$version" "${url_args[@]}"
    ls artifacts/packages/"$package"."$version".nupkg artifacts/packages/"$package"."$version".snupkg >/dev/null
  done
}

# Starts s3rver (from .tools) on a free loopback port for the S3 package's consumer, its endpoint in $S3RVER_ENDPOINT.
# The caller stops it (kill the PID in $S3RVER_PID) and removes $S3RVER_DATA.
start_s3rver() {
  local port
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  S3RVER_DATA=$(mktemp -d)
  NODE_OPTIONS=--openssl-legacy-provider node .tools/node_modules/s3rver/bin/s3rver.js --address 127.0.0.1 --port "$port" \
    --directory "$S3RVER_DATA" --silent >/dev/null 2>&1 &
  S3RVER_PID=$!
  local tries
  for tries in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      S3RVER_ENDPOINT="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "build.sh: s3rver did not start on 127.0.0.1:$port" >&2
  return 1
}

# One line on stderr for each step of a long command, so that it never sits silent for minutes.
say() {
  echo "build.sh: $*" >&2
}

# Packs the library into artifacts/packages and builds and runs samples/consumer, an app that restores it from
# there (not a project reference) with the OpenCV runtime for its platform, as a user's app would.
check_package() {
  local version
  version=$(package_version)
  rm -rf samples/consumer/bin
  pack_library "$version"
  say "building and running samples/consumer against the package"
  quietly dotnet build samples/consumer -c Release -nologo -clp:ErrorsOnly -p:DataflowPipelineVersion="$version"
  dotnet samples/consumer/bin/Release/net10.0/PackageConsumer.dll "$version"
  say "building and running samples/consumer-s3 against the S3 package and s3rver"
  rm -rf samples/consumer-s3/bin
  quietly dotnet build samples/consumer-s3 -c Release -nologo -clp:ErrorsOnly -p:DataflowPipelineVersion="$version"
  local s3_status=0
  start_s3rver
  dotnet samples/consumer-s3/bin/Release/net10.0/S3Consumer.dll "$S3RVER_ENDPOINT" "$version" || s3_status=$?
  kill "$S3RVER_PID" 2>/dev/null || true
  wait "$S3RVER_PID" 2>/dev/null || true
  rm -rf "$S3RVER_DATA"
  [ "$s3_status" = 0 ] || return "$s3_status"
  check_readmes "$version"
  # The same app as a native AOT executable: the library must trim and run without a JIT (no warnings allowed).
  # Linux only here (a Windows native publish needs the MSVC linker).
  [ "$(uname -s)" = "Linux" ] || return 0
  ensure_native_aot_prerequisites
  say "publishing samples/consumer as a native AOT executable (a minute or two)"
  quietly dotnet publish samples/consumer -c Release --use-current-runtime -p:PublishAot=true -nologo -clp:ErrorsOnly \
    -p:DataflowPipelineVersion="$version" -o samples/consumer/bin/native
  samples/consumer/bin/native/PackageConsumer "$version"
  say "package Dataflow.Pipeline $version is in artifacts/packages"
}

# Runs README.md's install block (```bash install) as written, in an empty folder beside a link to this clone, so
# that the app it makes restores the package just packed as a user's would; then compiles every C# block of README.md
# and of the package's readme (Dataflow.Pipeline/README.md) into that app, as written (samples/readme/blocks.awk),
# and runs each block whose fence does not say no-run, in a folder with class folders of images (images/cat, ...).
# A block that does not build fails the check with its line in the Markdown file; one that throws, with its line too.
check_readmes() {
  local version=$1 repo=$PWD work blocks app log status=0
  work=$(mktemp -d)
  blocks="$work/blocks"
  mkdir -p "$blocks"
  ln -s "$repo" "$work/dataflow-pipeline"
  awk -v out="$blocks" -v source="$repo/README.md" -v tag=Readme -f samples/readme/blocks.awk README.md
  awk -v out="$blocks" -v source="$repo/Dataflow.Pipeline/README.md" -v tag=PackageReadme -f samples/readme/blocks.awk \
    Dataflow.Pipeline/README.md
  if [ ! -s "$blocks/Readme.install" ]; then
    echo "build.sh: README.md has no \`\`\`bash install block (the install commands this check runs as written)" >&2
    return 1
  fi
  say "running README.md's install block as written, in $work"
  (cd "$work" && quietly bash -euo pipefail "$blocks/Readme.install") || {
    echo "build.sh: README.md's install block failed (above), run in $work" >&2
    return 1
  }
  app=$(find "$work" -mindepth 1 -maxdepth 2 -name '*.csproj' -not -path "$blocks/*" | head -n 1)
  [ -n "$app" ] || { echo "build.sh: README.md's install block made no project in $work" >&2; return 1; }
  app=$(dirname "$app")
  if ! grep -q "Include=\"Dataflow.Pipeline\" Version=\"$version\"" "$app"/*.csproj; then
    # A newer pack in artifacts/packages (another branch's) wins over this one: pin the one just packed.
    say "README.md's install block took another version than $version; pinning $version"
    (cd "$app" && quietly dotnet add package Dataflow.Pipeline --version "$version")
  fi
  cp "$blocks"/*.cs "$app"/
  write_readme_runner "$blocks" > "$app/Program.cs"
  say "compiling the $(cat "$blocks/Readme.count") C# blocks of README.md and $(cat "$blocks/PackageReadme.count") of Dataflow.Pipeline/README.md as written"
  log=$(mktemp)
  (cd "$app" && dotnet build -c Release -warnaserror -nologo -clp:ErrorsOnly >"$log" 2>&1) || status=$?
  if [ "$status" != 0 ]; then
    echo "build.sh: a C# block of the readmes does not build as written (error at the block's line):" >&2
    grep -E 'error' "$log" | sed -e 's/ \[[^]]*\.csproj\]$//' | sort -u >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  say "running the readmes' runnable C# blocks"
  (cd "$app" && dotnet "bin/Release/net10.0/$(basename "$app"/*.csproj .csproj).dll") || return 1
  rm -rf "$work"
}

# The README check's Program.cs: makes images/ (two class folders of small PNGs), then runs each runnable block in
# the order of the readmes and names the block that throws.
write_readme_runner() {
  local blocks=$1 name
  cat <<'CS'
// Runs the readmes' runnable C# blocks (generated by build.sh's README check), each on the class folders images/cat
// and images/dog in the current folder.
using OpenCvSharp;

string[] classes = ["cat", "dog"];
for (int c = 0; c < classes.Length; c++)
{
    Directory.CreateDirectory(Path.Combine("images", classes[c]));
    for (int i = 0; i < 20; i++)
    {
        using var image = new Mat(48, 64, MatType.CV_8UC3, Scalar.All(10 * i));
        Cv2.Circle(image, new Point(32, 24), 8 + 8 * c, Scalar.White, -1);
        Cv2.ImWrite(Path.Combine("images", classes[c], $"{i}.png"), image);
    }
}

(string Block, Func<Task> Run)[] blocks =
[
CS
  for name in $(cat "$blocks/Readme.run" "$blocks/PackageReadme.run" 2>/dev/null); do
    local file=README.md line=${name##*_L}
    [ "${name%%_L*}" = "PackageReadme" ] && file=Dataflow.Pipeline/README.md
    echo "    (\"$file line $line\", $name.RunAsync),"
  done
  cat <<'CS'
];
foreach ((string block, Func<Task> run) in blocks)
{
    try
    {
        await run();
        Console.WriteLine($"readme check: {block}: ran");
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"readme check: the C# block at {block} threw: {e}");
        return 1;
    }
}

return 0;
CS
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

# True when the arguments ask for help: it is answered at once, from the app as last built, never after a publish.
wants_help() {
  local arg
  for arg in "$@"; do
    case "$arg" in -h|--help|-\?) return 0 ;; esac
  done
  return 1
}

# Runs PROJECT's app as last built (Release), building it first only when it never was or a source file, project or
# props file is newer than its DLL: help must not wait for MSBuild to find that nothing changed. (The tools app compiles
# the samples app's command-line plumbing too: Dataflow.Samples/Commands and Output count for both.)
run_built() {
  local project=$1 dll
  shift
  dll="$project/bin/Release/net10.0/$project.dll"
  if [ ! -f "$dll" ] || [ -n "$(find "$project" Dataflow.Pipeline Dataflow.Samples/Commands Dataflow.Samples/Output Directory.Build.props Directory.Packages.props \
      -not -path '*/bin/*' -not -path '*/obj/*' \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
      -newer "$dll" -print -quit)" ]; then
    quietly dotnet build "$project" -c Release -nologo -clp:ErrorsOnly
  fi
  exec dotnet "$dll" "$@"
}

command=${1:-train}
[ $# -gt 0 ] && shift
ensure_native_prerequisites
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case "$command" in
  test)
    ensure_test_prerequisites
    ensure_python_protobuf
    ensure_mpi_prerequisites
    ensure_test_servers
    dotnet build Dataflow.sln -c Release -nologo -clp:ErrorsOnly
    log=$(mktemp)
    set +e
    # A test host that crashes names the tests it was running (and leaves a dump under TestResults); a test that
    # hangs is stopped after four minutes the same way, instead of holding the whole run.
    dotnet test Dataflow.sln -c Release --no-build -nologo --blame-crash --blame-hang-timeout 4min "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    (set -e; check_package)
    package_status=$?
    set -e
    # One plain summary line over every test assembly (the package check counts as one more test).
    # A test host that crashed or hung counts as one failure more: its summary line only counts the tests it finished.
    awk -v pkg="$package_status" '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
         /The active test run was aborted/ { aborted++ }
         END { gsub(",", "", p); if (pkg == 0) p++; else f++; f += aborted; printf "tests: %d passed, %d failed, %d skipped%s\n", p, f, s, aborted ? sprintf(" (%d test host(s) crashed or hung: see above)", aborted) : "" }' "$log"
    rm -f "$log"
    [ "$status" = 0 ] || exit "$status"
    exit "$package_status"
    ;;
  api)
    # The API reference, generated from the library's XML docs by docfx (a .NET tool pinned in dotnet-tools.json),
    # as Markdown pages, one per type, into artifacts/api.
    say "restoring docfx (dotnet-tools.json)"
    quietly dotnet tool restore
    say "generating the API reference from Dataflow.Pipeline's XML docs into artifacts/api"
    rm -rf artifacts/api
    quietly dotnet tool run docfx metadata docs/api/docfx.json
    [ -f artifacts/api/Dataflow.Pipeline.md ] || { echo "build.sh: docfx wrote no artifacts/api/Dataflow.Pipeline.md" >&2; exit 1; }
    say "API reference: $(find artifacts/api -name '*.md' | wc -l) pages, start at artifacts/api/Dataflow.Pipeline.md"
    ;;
  package)
    if [ "${1:-}" = "--no-check" ]; then
      version=$(package_version)
      pack_library "$version"
      say "package Dataflow.Pipeline $version is in artifacts/packages"
    else
      [ $# = 0 ] || { echo "build.sh: package takes no argument but --no-check, was '$1'" >&2; exit 2; }
      check_package
    fi
    ;;
  bench)
    wants_help "$@" && run_built Dataflow.Tools bench "$@"
    # The bench is a command of the tools app (Dataflow.Tools), run in a ReadyToRun build, as a trainer is deployed:
    # start-up and the first epoch are not spent compiling the library's code (docs/performance.md). DATAFLOW_BENCH_JIT=1 measures the
    # plain build instead (its own process runs every measurement).
    if [ "${DATAFLOW_BENCH_JIT:-0}" = "1" ]; then
      quietly dotnet build Dataflow.Tools -c Release -nologo -clp:ErrorsOnly
      exec dotnet Dataflow.Tools/bin/Release/net10.0/Dataflow.Tools.dll bench "$@"
    fi
    # Native on Linux (checked by the package test); elsewhere the ReadyToRun build unless asked for.
    [ "$(uname -s)" = "Linux" ] && bench_build=native || bench_build=r2r
    bench_build=${DATAFLOW_BENCH_BUILD:-$bench_build}
    case "$bench_build" in
      native|r2r) ;;
      *) echo "build.sh: DATAFLOW_BENCH_BUILD must be native or r2r, was '${DATAFLOW_BENCH_BUILD}'" >&2; exit 2 ;;
    esac
    quietly dotnet publish Dataflow.Tools -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
      -p:DataflowBuildKind=r2r -o artifacts/bench -nologo -clp:ErrorsOnly
    # Each measurement runs in a native AOT build of the app (how a trainer that wants a fast start is deployed:
    # nothing compiled at run time; docs/performance.md), for this machine's instruction set (as the JIT compiles),
    # in its own build folders so the everyday build and this one do not rebuild each other. The Roslyn analyzers are
    # off for it: they flag the other commands' reflection, which this build drops; the AOT compiler still fails on
    # anything reachable. DATAFLOW_BENCH_BUILD=r2r measures the ReadyToRun build instead.
    if [ "$bench_build" = "native" ]; then
      ensure_native_aot_prerequisites
      echo "build.sh: publishing the native AOT build of the bench (a minute or two when the code has changed)" >&2
      quietly dotnet publish Dataflow.Tools -c Release --use-current-runtime -p:PublishAot=true -p:DataflowBuildKind=native \
        -p:IlcInstructionSet=native -p:EnableAotAnalyzer=false -p:EnableTrimAnalyzer=false -p:EnableSingleFileAnalyzer=false \
        -o artifacts/bench-native -nologo -clp:ErrorsOnly
      export DATAFLOW_BENCH_CHILD="$PWD/artifacts/bench-native/Dataflow.Tools"
    fi
    exec dotnet artifacts/bench/Dataflow.Tools.dll bench "$@"
    ;;
  bench-variant|micro|soak|decode-quality)
    # The other measurements of the tools app, in its plain build.
    wants_help "$@" && run_built Dataflow.Tools "$command" "$@"
    quietly dotnet build Dataflow.Tools -c Release -nologo -clp:ErrorsOnly
    exec dotnet Dataflow.Tools/bin/Release/net10.0/Dataflow.Tools.dll "$command" "$@"
    ;;
  *)
    wants_help "$command" "$@" && run_built Dataflow.Samples "$command" "$@"
    quietly dotnet build Dataflow.Samples -c Release -nologo -clp:ErrorsOnly
    exec dotnet Dataflow.Samples/bin/Release/net10.0/Dataflow.Samples.dll "$command" "$@"
    ;;
esac
