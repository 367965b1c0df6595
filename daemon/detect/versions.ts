// Ordering version strings as vendors write them: the one implementation lives in shared/ (the scan's version
// sources order Squirrel folders with it too).
export { compareVersions, sameVersion } from '../shared/version-order.ts';
