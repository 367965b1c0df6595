// Loads the entry (an ES module with top-level await). Kept apart from sealwatch.cjs so that an old Node,
// which may not parse import(), never reads this file.
'use strict';
const { pathToFileURL } = require('node:url');
module.exports = (entry) => {
  void import(pathToFileURL(entry).href);
};
