#!/usr/bin/env bash
# Finds or builds the Pulumi CLI the engine tests, `make local` and the benchmark run.
#
#   tools/pulumi/build.sh            # called by `make install`
#
# 1. A `pulumi` on PATH whose version is at least the Python SDK's (requirements.txt) is used as it is.
# 2. Otherwise, with Go, the CLI is built from Pulumi's Go modules at the version go.mod pins, into
#    .tools/bin/, with the dynamic-provider shim (pulumi-resource-pulumi-python) and
#    pulumi-language-python-exec from the same sdk/v3 module beside it. A second run with the binary
#    already at that version does nothing.
# 3. With neither, it says so and exits 0: the engine tests skip and `make local` deploys engine-less.
# Then the Python language host, which the plain commands (`pulumi up`, `pulumi preview`) need: one on PATH
# (Pulumi's installer puts its own beside its CLI) is used as it is; otherwise, with Go, the fallback pinned in
# language-python/go.mod (sdk/v3 v3.68.0's python/cmd/pulumi-language-python) is built into .tools/bin beside the
# CLI. That host predates the CLI's newer way of passing runtime.options, so it finds the project's virtualenv
# only when it is active (VIRTUAL_ENV); the wrapper script installed under its name passes it Pulumi.yaml's.
#
# The build flags are those of Pulumi's release builds: CGO_ENABLED=0, -trimpath, tags osusergo,grpcnotrace,
# and the version stamped into the binary (what `pulumi version` prints and plugins are matched against).
set -euo pipefail
export PULUMI_SKIP_UPDATE_CHECK=1
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.tools/bin"
version="$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\).*#\1#p' "$here/go.mod")"
sdk_version="$(sed -n 's/^pulumi==\([0-9.]*\).*/\1/p' "$root/requirements.txt")"
[ -n "$version" ] && [ -n "$sdk_version" ] || { echo "pulumi: cannot read the pinned versions" >&2; exit 1; }

# at_least A B: true when version A >= version B (both without a leading v).
at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

host_dir="$here/language-python"
host_version="$(sed -n 's#^\s*github.com/pulumi/pulumi/sdk/v3 \(v[0-9.]*\).*#\1#p' "$host_dir/go.mod")"
host_stamp="$bin/.pulumi-language-python.version"
outside_bin() { PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:)" command -v "$1" || true; }

# The language host the plain commands run the program with (after the CLI, below).
language_host() {
  local on_path
  on_path="$(outside_bin pulumi-language-python)"
  if [ -n "$on_path" ]; then
    echo "pulumi: using the language host $on_path"
    return 0
  fi
  if [ -x "$bin/pulumi-language-python" ] && [ -x "$bin/pulumi-language-python-$host_version" ] \
    && [ "$(cat "$host_stamp" 2>/dev/null)" = "$host_version" ]; then
    echo "pulumi: .tools/bin/pulumi-language-python is $host_version already"
    return 0
  fi
  if ! command -v go >/dev/null; then
    echo "pulumi: no Python language host on PATH and no Go to build one: plain \`pulumi up\` will not run the"
    echo "        program; \`make local\` and the tests use the Automation API instead."
    return 0
  fi
  mkdir -p "$bin"
  local start
  start=$(date +%s)
  echo "pulumi: building the Python language host (sdk/v3 $host_version) into .tools/bin, the fallback for a CLI without one"
  (
    cd "$host_dir"
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
      -o "$bin/pulumi-language-python.partial" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
  )
  mv "$bin/pulumi-language-python.partial" "$bin/pulumi-language-python-$host_version"
  # The CLI starts the host in the project's folder and no longer passes runtime.options as flags, which this
  # host reads: the wrapper hands it Pulumi.yaml's virtualenv, unless one is active. So no activation is needed.
  cat > "$bin/pulumi-language-python" <<WRAPPER
#!/bin/sh
# Written by tools/pulumi/build.sh: the Python language host of sdk/v3 $host_version, given the project's virtualenv.
if [ -z "\${VIRTUAL_ENV:-}" ] && [ -f Pulumi.yaml ]; then
  venv="\$(sed -n 's/^[[:space:]]*virtualenv:[[:space:]]*//p' Pulumi.yaml | head -n 1 | tr -d "\"'")"
  [ -n "\$venv" ] && exec "\$(dirname "\$0")/pulumi-language-python-$host_version" -virtualenv="\$venv" "\$@"
fi
exec "\$(dirname "\$0")/pulumi-language-python-$host_version" "\$@"
WRAPPER
  chmod 0755 "$bin/pulumi-language-python"
  # The host runs the program through the -exec script beside it: the CLI's copy when it was built here, else its own.
  if [ ! -x "$bin/pulumi-language-python-exec" ]; then
    local host_sdk_dir
    host_sdk_dir="$(cd "$host_dir" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@$host_version" \
      | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
    install -m 0755 "$host_sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  fi
  printf '%s\n' "$host_version" > "$host_stamp"
  echo "pulumi: built the language host in $(( $(date +%s) - start )) s"
}

on_path="$(outside_bin pulumi)"
if [ -n "$on_path" ]; then
  found="$("$on_path" version 2>/dev/null | sed 's/^v//')"
  if at_least "$found" "$sdk_version"; then
    echo "pulumi: using $on_path (v$found; the SDK is $sdk_version)"
    language_host
    exit 0
  fi
  echo "pulumi: $on_path is v$found, older than the SDK ($sdk_version); building v${version#v} instead"
fi

if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$version" ] \
  && [ -x "$bin/pulumi-resource-pulumi-python" ]; then
  echo "pulumi: .tools/bin/pulumi is $version already"
  language_host
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "pulumi: no Pulumi CLI (>= $sdk_version) on PATH and no Go to build one: the engine tests will skip and"
  echo "        \`make local\` deploys without the engine. Install Go or the Pulumi CLI to run them."
  exit 0
fi

mkdir -p "$bin"
start=$(date +%s)
echo "pulumi: building the CLI $version from the Go module proxy into .tools/bin (cold: 10-20 minutes)"
(
  cd "$here"
  CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$bin/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
mv "$bin/pulumi.partial" "$bin/pulumi"  # never leave a half-written binary that looks finished

# The shims are scripts in the sdk/v3 module (python/dist and python/cmd), at the CLI's own version.
sdk_dir="$(cd "$here" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@$version" \
  | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
echo "pulumi: built $("$bin/pulumi" version) in $(( $(date +%s) - start )) s"
language_host
