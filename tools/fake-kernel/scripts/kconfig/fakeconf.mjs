#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
// Stand-in for scripts/kconfig/conf in hmmci's fake kernel tree: a small Kconfig evaluator that
// supports what the fake Kconfig files use (config/menuconfig, bool/tristate/def_bool, prompt,
// default, depends on, select, choice, if/endif, menu, source) with kconfig's tristate logic.
// Usage: fakeconf.mjs olddefconfig|alldefconfig|allnoconfig|tinyconfig SRCTREE CONFIG_FILE
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [mode, srctree, configFile] = process.argv.slice(2);
if (!mode || !srctree || !configFile) {
  console.error('usage: fakeconf.mjs MODE SRCTREE CONFIG');
  process.exit(2);
}

const syms = new Map(); // name -> {name, type, prompt, promptIf, deps[], defaults[], selects[], choice}
const order = [];
const choices = [];

function sym(name) {
  if (!syms.has(name))
    syms.set(name, {
      name,
      type: undefined,
      prompt: false,
      promptIf: 'y',
      deps: [],
      defaults: [],
      selects: [],
      choice: undefined,
    });
  return syms.get(name);
}

function parseFile(rel, outerDeps) {
  const text = readFileSync(join(srctree, rel), 'utf8');
  const lines = text.split('\n');
  const depStack = [...outerDeps];
  const blockKinds = [];
  let cur;
  let curChoice;
  let inHelp = false;
  let helpIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i];
    if (inHelp) {
      const indent = line.match(/^\s*/)[0].replace(/\t/g, '        ').length;
      if (line.trim() === '' || (helpIndent < 0 ? indent > 0 : indent >= helpIndent)) {
        if (line.trim() !== '' && helpIndent < 0) helpIndent = indent;
        continue;
      }
      inHelp = false;
      helpIndent = -1;
    }
    const t = line.replace(/#.*$/, '').trim();
    if (!t) continue;
    let m;
    if ((m = /^(menu)?config\s+(\w+)/.exec(t))) {
      cur = sym(m[2]);
      if (!order.includes(cur)) order.push(cur);
      cur.deps.push(...depStack);
      if (curChoice) {
        cur.choice = curChoice;
        curChoice.members.push(cur);
      }
    } else if (t === 'choice') {
      curChoice = { members: [], deps: [...depStack], defaults: [], prompt: false };
      choices.push(curChoice);
      cur = curChoice;
    } else if (t === 'endchoice') {
      curChoice = undefined;
      cur = undefined;
    } else if ((m = /^if\s+(.*)$/.exec(t))) {
      depStack.push(m[1]);
      blockKinds.push('if');
      cur = undefined;
    } else if ((m = /^menu\s+/.exec(t))) {
      blockKinds.push('menu');
      depStack.push('y');
      cur = { deps: [], menu: true, depIndex: depStack.length - 1 };
    } else if (t === 'endif' || t === 'endmenu') {
      blockKinds.pop();
      depStack.pop();
      cur = undefined;
    } else if ((m = /^source\s+"([^"]+)"/.exec(t))) {
      parseFile(m[1], depStack);
      cur = undefined;
    } else if (/^(mainmenu|comment)\b/.test(t)) {
      cur = undefined;
    } else if (/^(help|---help---)$/.test(t)) {
      inHelp = true;
    } else if (!cur) {
      continue;
    } else if ((m = /^(bool|tristate|string|int|hex)\b\s*(?:"[^"]*")?\s*(?:if\s+(.*))?$/.exec(t))) {
      cur.type = m[1];
      if (/"/.test(t)) {
        cur.prompt = true;
        cur.promptIf = m[2] ?? 'y';
      }
    } else if ((m = /^def_(bool|tristate)\s+(.*?)(?:\s+if\s+(.*))?$/.exec(t))) {
      cur.type = m[1];
      cur.defaults.push({ expr: m[2], cond: m[3] ?? 'y' });
    } else if ((m = /^prompt\s+"[^"]*"\s*(?:if\s+(.*))?$/.exec(t))) {
      cur.prompt = true;
      cur.promptIf = m[1] ?? 'y';
    } else if ((m = /^default\s+(.*?)(?:\s+if\s+(.*))?$/.exec(t))) {
      cur.defaults.push({ expr: m[1], cond: m[2] ?? 'y' });
    } else if ((m = /^depends\s+on\s+(.*)$/.exec(t))) {
      if (cur.menu) depStack[cur.depIndex] = `(${depStack[cur.depIndex]}) && (${m[1]})`;
      else cur.deps.push(m[1]);
    } else if ((m = /^select\s+(\w+)(?:\s+if\s+(.*))?$/.exec(t))) {
      cur.selects.push({ target: m[1], cond: m[2] ?? 'y' });
    }
  }
}

parseFile('Kconfig', []);

const val = new Map();
function evalExpr(expr) {
  const toks = expr.match(/&&|\|\||!=|[()!=]|"[^"]*"|[A-Za-z0-9_]+/g) ?? [];
  let p = 0;
  const atom = () => {
    const tk = toks[p++];
    if (tk === '!') return 2 - atom();
    if (tk === '(') {
      const v = or();
      p++;
      return v;
    }
    let v = tk === 'y' ? 2 : tk === 'm' ? 1 : tk === 'n' ? 0 : (val.get(tk) ?? 0);
    if (toks[p] === '=' || toks[p] === '!=') {
      const op = toks[p++];
      const rhs = toks[p++];
      const r = rhs === 'y' ? 2 : rhs === 'm' ? 1 : rhs === 'n' ? 0 : (val.get(rhs) ?? 0);
      v = (v === r) === (op === '=') ? 2 : 0;
    }
    return v;
  };
  const and = () => {
    let v = atom();
    while (toks[p] === '&&') {
      p++;
      v = Math.min(v, atom());
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (toks[p] === '||') {
      p++;
      v = Math.max(v, and());
    }
    return v;
  };
  return toks.length ? or() : 2;
}
const depOf = (s) => s.deps.reduce((v, d) => Math.min(v, evalExpr(d)), 2);

// What the user asked for: the existing .config (olddefconfig) or "no" for everything (allno/tiny).
const user = new Map();
if ((mode === 'olddefconfig' || mode === 'oldconfig') && existsSync(configFile)) {
  for (const line of readFileSync(configFile, 'utf8').split('\n')) {
    let m;
    if ((m = /^CONFIG_(\w+)=(.*)$/.exec(line)))
      user.set(m[1], m[2] === 'y' ? 2 : m[2] === 'm' ? 1 : m[2] === 'n' ? 0 : m[2]);
    else if ((m = /^# CONFIG_(\w+) is not set$/.exec(line))) user.set(m[1], 0);
  }
} else if (mode === 'allnoconfig' || mode === 'tinyconfig') {
  for (const s of order) user.set(s.name, 0);
} else if (mode !== 'alldefconfig' && mode !== 'defconfig') {
  console.error(`fakeconf: unknown mode ${mode}`);
  process.exit(2);
}

for (let iter = 0; iter < 30; iter++) {
  let changed = false;
  const set = (s, v) => {
    if (val.get(s.name) !== v) {
      val.set(s.name, v);
      changed = true;
    }
  };
  for (const s of order) {
    if (s.choice) continue;
    const dep = depOf(s);
    const visible = s.prompt && dep > 0 && evalExpr(s.promptIf) > 0;
    let rev = 0;
    for (const o of order)
      for (const sel of o.selects)
        if (sel.target === s.name) rev = Math.max(rev, Math.min(val.get(o.name) ?? 0, evalExpr(sel.cond)));
    let v = 0;
    const d = s.defaults.find((x) => evalExpr(x.cond) > 0);
    if (visible && user.has(s.name) && typeof user.get(s.name) === 'number') v = Math.min(user.get(s.name), dep);
    else if (d) v = Math.min(evalExpr(d.expr), dep);
    v = Math.max(v, rev);
    if (v === 1 && (s.type === 'bool' || (val.get('MODULES') ?? 0) !== 2)) v = 2;
    set(s, v);
  }
  for (const c of choices) {
    const dep = c.deps.reduce((v, d) => Math.min(v, evalExpr(d)), 2);
    let chosen;
    if (dep > 0) {
      chosen = c.members.find((s) => user.get(s.name) === 2 && depOf(s) > 0);
      const d = c.defaults.find((x) => evalExpr(x.cond) > 0);
      chosen ??= c.members.find((s) => d && s.name === d.expr.trim() && depOf(s) > 0);
      chosen ??= c.members.find((s) => depOf(s) > 0);
    }
    for (const s of c.members) set(s, s === chosen ? 2 : 0);
  }
  if (!changed) break;
}

const makefile = readFileSync(join(srctree, 'Makefile'), 'utf8');
const field = (n) => (new RegExp(`^${n}\\s*=\\s*(.*)$`, 'm').exec(makefile)?.[1] ?? '').trim();
const out = [
  '#',
  '# Automatically generated file; DO NOT EDIT.',
  `# Linux/x86 ${field('VERSION')}.${field('PATCHLEVEL')}.${field('SUBLEVEL')}${field('EXTRAVERSION')} Kernel Configuration`,
  '#',
];
for (const s of order) {
  const v = val.get(s.name) ?? 0;
  const visible = (s.prompt || s.choice) && depOf(s) > 0;
  if (v > 0) out.push(`CONFIG_${s.name}=${v === 2 ? 'y' : 'm'}`);
  else if (visible) out.push(`# CONFIG_${s.name} is not set`);
}
writeFileSync(configFile, `${out.join('\n')}\n`);
console.log('#\n# configuration written to .config\n#');
