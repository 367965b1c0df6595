#!/usr/bin/env node
// The `sealwatch` command. Plain ES5 CommonJS on purpose, so that any Node can parse it and say which Node it needs
// before anything else runs; then the compiled JavaScript in ../dist (built by `npm run build`, shipped by `npm pack`)
// does the work — or, in a checkout, the TypeScript sources. An installed command never runs TypeScript: Node refuses
// to strip types under node_modules.
'use strict';
var path = require('path');
var fs = require('fs');

// Node 24: node:sqlite without an ExperimentalWarning, and the version every test runs on.
var NEEDED = [24, 0, 0];
var found = process.versions.node.split('.').map(Number);
function older(a, b) {
  for (var i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
if (older(found, NEEDED)) {
  process.stderr.write(
    'sealwatch: needs Node.js ' + NEEDED.join('.') + ' or newer; found ' + process.versions.node + ' (' + process.execPath + ').\n' +
      'Install a current Node.js (https://nodejs.org) and run sealwatch with it.\n'
  );
  process.exit(2);
}

// In a checkout (the TypeScript sources beside this file, not under node_modules) run the sources themselves, so the
// command is never a stale build; an installed package has only dist/.
var root = path.join(__dirname, '..');
var source = path.join(root, 'daemon', 'main.ts');
var inCheckout = fs.existsSync(source) && root.split(path.sep).indexOf('node_modules') < 0;
var entry = inCheckout ? source : path.join(root, 'dist', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('sealwatch: ' + entry + ' is missing: run `npm run build` in ' + root + '.\n');
  process.exit(2);
}
// Only reached on a Node new enough to parse what follows.
require('./start.cjs')(entry);
