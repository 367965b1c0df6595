// Which directory names are Apple bundles. Kept apart from bundle.ts so that the scan's walk can recognise a bundle
// without loading the bundle verifier (and with it all of verify/) until a bundle actually needs verifying.
export const BUNDLE_NAME = /\.(app|framework|bundle|appex|xpc|plugin|kext|qlgenerator|mdimporter|prefPane|saver|driver)$/i;
