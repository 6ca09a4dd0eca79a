// The package version, for rule docs links and the plugin's meta. The catalog test keeps it equal
// to package.json's (reading package.json at run time would need an import attribute or a read of
// the file system at load).
export const PLUGIN_VERSION = '0.1.0';
