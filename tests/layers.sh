#!/usr/bin/env bash
# The layering, checked from the source alone (CTest runs it; so can anyone: bash tests/layers.sh).
# The build already refuses a header of a module that is not linked (servesim_module in the
# top-level CMakeLists.txt); this catches what the build cannot see in one configuration (code
# under #ifdef, a link loosened by mistake) and keeps functions short enough to read.
#
#  1. Each module's #includes of project headers name only the modules in its row of BELOW,
#     the same table as sim/CMakeLists.txt's comment and docs/architecture.md.
#  2. No function in sim/, calib/, validate/ or python/ is longer than MAX_LINES (120) lines.
#     How a function is counted: comments, string and character literals and preprocessor lines
#     are blanked out; then braces are counted. A '{' opens a function body when the text since
#     the previous ';', '{' or '}' holds a '(' and does not begin with a control keyword
#     (if, for, while, switch, catch, do, else, try) or namespace/class/struct/enum/union, and does
#     not end in '=' (an initialiser); a '{' inside a function body (blocks, lambdas, local
#     classes) belongs to that function. A function's length runs from the first line of its
#     signature to the line of its closing brace, both counted. Methods defined inside a class
#     body are functions of their own; the class is not one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 - "$@" <<'PY'
import os, re, sys

MAX_LINES = 120
# module -> the modules whose headers it may include (itself included). Keep in step with
# sim/CMakeLists.txt, calib/CMakeLists.txt, validate/CMakeLists.txt, python/CMakeLists.txt and
# docs/architecture.md.
BELOW = {
    "core": [],
    "config": ["core"],
    "curves": ["core"],
    "curve_schema": ["config", "curves"],
    "model": ["curves"],
    "scenario": ["model", "config", "curve_schema"],
    "metrics": ["model", "config"],
    "run": ["scenario", "metrics"],
    "cli": ["config"],
    "calib": ["curve_schema", "cli"],
    "validate": ["run", "calib"],
    "app": ["run", "validate", "calib", "cli"],
    "python": ["run"],
}

def closure(m):
    seen = {m}
    todo = list(BELOW[m])
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo += BELOW[x]
    return seen

def module_of(path):
    """The module a project path (a file, or an #include's target) belongs to, or None."""
    parts = path.split("/")
    if parts[0] in ("calib", "validate", "python"):
        return parts[0]
    if parts[0] == "sim" and len(parts) > 2:
        if parts[1] == "scenario" and parts[2].startswith("curves."):
            return "curve_schema"
        return parts[1] if parts[1] in BELOW else None
    return None

def sources():
    for top in ("sim", "calib", "validate", "python"):
        for root, _, files in os.walk(top):
            for f in sorted(files):
                if f.endswith((".h", ".cpp")):
                    yield os.path.join(root, f)

def check_includes():
    bad = 0
    for path in sources():
        mod = module_of(path)
        allowed = closure(mod)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            m = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
            if not m:
                continue
            target = module_of(m.group(1))
            if target is None and m.group(1).split("/")[0] in ("sim", "calib", "validate", "python", "tests"):
                print(f"{path}:{n}: includes {m.group(1)}, which is in no module")
                bad += 1
            elif target is not None and target not in allowed:
                print(f"{path}:{n}: module {mod} may not include {m.group(1)} (module {target}); "
                      f"it may include: {', '.join(sorted(allowed))}")
                bad += 1
    return bad

def blank(src):
    """src with comments, literals and preprocessor lines turned to spaces (newlines kept)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif src.startswith('R"', i) and not (i and (src[i - 1].isalnum() or src[i - 1] == "_")):
            d = re.match(r'R"([^(]*)\(', src[i:]).group(1)
            j = src.find(")" + d + '"', i) + len(d) + 2
        elif c == '"' or (c == "'" and not (i and src[i - 1].isalnum())):  # not a digit separator
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            j += 1
        elif c == "#" and (i == 0 or src[i - 1] == "\n"):
            j = i
            while True:
                k = src.find("\n", j)
                k = n if k < 0 else k
                if src[k - 1:k] != "\\":
                    break
                j = k + 1
            j = k
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)

NOT_A_FUNCTION = re.compile(
    r"(if|for|while|switch|catch|do|else|try|namespace|class|struct|enum|union|extern)\b")
CLASS = re.compile(r"(template\s*<.*>\s*)?(class|struct|union)\b|namespace\b|extern\b", re.S)

def functions(path):
    """(lines, first line, name) of every function in the file."""
    s = blank(open(path, encoding="utf-8").read())
    stack, start, found = [], 0, []
    for i, c in enumerate(s):
        if c == "{":
            head = s[start:i]
            sig = head.strip()
            in_function = any(kind == "function" for kind, _, _ in stack)
            if in_function:
                kind = "block"
            elif "(" in sig and not NOT_A_FUNCTION.match(sig) and not sig.endswith("="):
                kind = "function"
            elif CLASS.match(sig):
                kind = "scope"  # a class or namespace body: its functions are counted one by one
            else:
                kind = "block"
            stack.append((kind, i - len(head) + (len(head) - len(head.lstrip())), sig))
            start = i + 1
        elif c == "}":
            if stack:
                kind, first, sig = stack.pop()
                if kind == "function":
                    lines = s.count("\n", first, i) + 1
                    name = re.findall(r"([~\w:]+)\s*\(", sig)
                    found.append((lines, s.count("\n", 0, first) + 1, name[0] if name else sig))
            start = i + 1
        elif c == ";":
            start = i + 1
    return found

def check_lengths():
    bad = 0
    for path in sources():
        for lines, first, name in functions(path):
            if lines > MAX_LINES:
                print(f"{path}:{first}: {name} is {lines} lines, over {MAX_LINES}")
                bad += 1
    return bad

bad = check_includes() + check_lengths()
if bad:
    print(f"layers: {bad} problem(s)")
    sys.exit(1)
longest = max((f for p in sources() for f in functions(p)), default=(0, 0, ""))
print(f"layers: every #include within its module's row; longest function {longest[2]}, "
      f"{longest[0]} lines (limit {MAX_LINES})")
PY
