#!/usr/bin/env bash
# The man page the build writes (build/servesim.1) is what `servesim --man` prints now, is roff
# that man (or groff) renders without a warning, and documents every verb that --help lists,
# calib's included. Usage: man_page.sh SERVESIM PAGE
set -euo pipefail
servesim=$1 page=$2
fail() { echo "man_page.sh: $*" >&2; exit 1; }
[[ -s $page ]] || fail "no man page at $page (cmake --build build builds it: target servesim_man)"
cmp -s <("$servesim" --man) "$page" || fail "$page is not what '$servesim --man' prints (rebuild)"
head -n 2 "$page" | grep -q '^\.TH SERVESIM 1 ' || fail "no .TH header"
for section in NAME SYNOPSIS DESCRIPTION VERBS '"EXIT STATUS"'; do
  grep -q "^\.SH $section\$" "$page" || fail "no .SH $section"
done
if command -v groff >/dev/null; then
  warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
  [[ -z $warnings ]] || fail "groff warns: $warnings"
fi
if command -v man >/dev/null; then
  text=$(MANWIDTH=200 MANPAGER=cat man -l "$page" 2>/dev/null)
elif command -v groff >/dev/null; then
  text=$(groff -man -Tutf8 "$page" 2>/dev/null)
else
  text=$(cat "$page")  # no renderer: the synopses as written, backslashes aside
  text=${text//\\-/-}
fi
# The verbs --help lists (the lines of its Subcommands: section), each as a synopsis.
verbs() { "$servesim" "$@" --help | sed -n '/^Subcommands:/,$p' | awk 'NR>1 && /^  [a-z]/ {print $1}'; }
n=0
for v in $(verbs); do
  [[ $v == help ]] && continue
  grep -q "servesim $v \[OPTIONS\]" <<<"$text" || fail "the page has no 'servesim $v [OPTIONS]'"
  n=$((n + 1))
done
for v in $(verbs calib); do
  grep -q "servesim calib $v \[OPTIONS\]" <<<"$text" || fail "no 'servesim calib $v [OPTIONS]'"
  n=$((n + 1))
done
((n >= 15)) || fail "only $n verbs found in --help"
echo "man_page.sh: $page documents $n verbs"
