// @ts-check
'use strict';
// Plain CommonJS in syntax old versions know: any Node.js must get this far and say what Plexus needs.

const MAJOR = 24;
const MINOR = 12;

/**
 * One line saying which Node.js Plexus needs and how to get it, or null when `version` is new enough.
 * @param {string} version as in process.versions.node, e.g. "20.20.2"
 * @returns {string | null}
 */
function nodeVersionProblem(version) {
  const parts = String(version).split('.');
  const major = Number(parts[0]) || 0;
  const minor = Number(parts[1]) || 0;
  if (major > MAJOR || (major === MAJOR && minor >= MINOR)) return null;
  return (
    `Plexus needs Node.js ${MAJOR}.${MINOR} or newer, this is ${version}: install Node.js ${MAJOR} ` +
    `(https://nodejs.org, or nvm install ${MAJOR}; README.md "Set up" shows a way through npm) and run it again`
  );
}

module.exports = { nodeVersionProblem: nodeVersionProblem };
