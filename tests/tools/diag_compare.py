#!/usr/bin/env python3
"""diag_compare.py TEXT_STDERR JSON_STDERR...: the same diagnostics in both forms.

The text form (streamc's default) is parsed line by line: every
"FILE:LINE:COL: KIND: MESSAGE [OPTION]" (or "FILE: KIND: MESSAGE") line, a
note belonging to the error or warning before it. The JSON form must be
one array (gcc 12's layout) holding the same diagnostics in the same order:
kind, message, option, file, line and column of the caret, and the same
notes as children. Exits 1 with the first difference."""
import json
import re
import sys

LINE = re.compile(r'^(?P<file>[^:\n]+?):(?:(?P<line>\d+):(?P<col>\d+): )?\s*(?P<kind>error|warning|note): (?P<msg>.*)$')


def parse_text(text):
    diags = []
    for raw in text.split('\n'):
        m = LINE.match(raw)
        if not m or raw.startswith('streamc: '):
            continue
        msg, opt = m['msg'], None
        o = re.search(r' \[(-W[^\]]*)\]$', msg)
        if o:
            msg, opt = msg[:o.start()], o.group(1)
        d = {'kind': m['kind'], 'message': msg, 'option': opt,
             'loc': (m['file'], int(m['line']), int(m['col'])) if m['line'] else None, 'children': []}
        if d['kind'] == 'note':
            if not diags:
                raise SystemExit('text: a note before any error or warning: ' + raw)
            del d['children'], d['option']
            diags[-1]['children'].append(d)
        else:
            diags.append(d)
    return diags


def conv(j, top):
    if not isinstance(j, dict):
        raise SystemExit('json: not an object: %r' % (j,))
    for key in ('kind', 'message', 'locations'):
        if key not in j:
            raise SystemExit('json: no %r in %r' % (key, j))
    locs = j['locations']
    loc = None
    if locs:
        c = locs[0]['caret']
        for key in ('file', 'line', 'column', 'byte-column', 'display-column'):
            if key not in c:
                raise SystemExit('json: caret without %r: %r' % (key, c))
        if c['column'] != c['byte-column'] or c['display-column'] < 1:
            raise SystemExit('json: columns: %r' % (c,))
        loc = (c['file'], c['line'], c['column'])
        f = locs[0].get('finish')
        if f and (f['line'], f['column']) <= (c['line'], c['column']):
            raise SystemExit('json: finish before caret: %r' % (locs[0],))
    d = {'kind': j['kind'], 'message': j['message'], 'loc': loc}
    if top:
        if j.get('column-origin') != 1 or j.get('escape-source') is not False:
            raise SystemExit('json: column-origin/escape-source: %r' % (j,))
        d['option'] = j.get('option')
        d['children'] = [conv(c, False) for c in j.get('children', [])]
    return d


def compare(tpath, jpath):
    text = open(tpath, encoding='utf-8', errors='surrogateescape').read()
    raw = open(jpath, encoding='utf-8').read()
    if raw.count('\n') != 1 or not raw.endswith('\n'):
        raise SystemExit('json: not one line')
    arr = json.loads(raw)
    if not isinstance(arr, list):
        raise SystemExit('json: not an array')
    want = parse_text(text)
    got = [conv(j, True) for j in arr]
    if len(want) != len(got):
        raise SystemExit('%d diagnostics in text, %d in json' % (len(want), len(got)))
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            raise SystemExit('diagnostic %d differs:\n text: %r\n json: %r' % (i, w, g))
    return len(want)


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        raise SystemExit('usage: diag_compare.py TEXT JSON [TEXT JSON]...')
    total = 0
    for t, j in zip(args[::2], args[1::2]):
        try:
            total += compare(t, j)
        except (SystemExit, ValueError, KeyError, TypeError) as e:
            raise SystemExit('%s: %s' % (j, e))
    print('%d pairs, %d diagnostics' % (len(args) // 2, total))


main()
