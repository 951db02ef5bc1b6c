# Set-up shared by the example studies, sourced by each examples/*/run.sh once it has set `here`
# (its own directory); the arguments are the tools the study needs besides servesim:
#
#   here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
#   source "$here/../lib.sh" jq gnuplot
#
# It sets root (the repository), dest (where results.csv and the plot go: $OUT, or else
# build/examples/STUDY under root, so that trying a study never overwrites its committed
# expected results; OUT=examples/STUDY refreshes them on purpose), SERVESIM (default:
# build/servesim under root) and tmp (a scratch directory removed on exit), and stops with a
# message when something is missing.
root="$(cd "$here/../.." && pwd)"
dest="${OUT:-$root/build/examples/$(basename "$here")}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
SERVESIM="${SERVESIM:-$root/build/servesim}"
[[ -x "$SERVESIM" ]] || {
  echo "run.sh: no servesim binary at '$SERVESIM' (bash setup.sh build, or set SERVESIM)" >&2
  exit 1
}
for tool in "$@"; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is needed" >&2; exit 1; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
