//! The `hello_standalone_activity` sample (its programs land with the client and worker).
