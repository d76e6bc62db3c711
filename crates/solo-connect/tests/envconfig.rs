//! envconfig rules: every variable, every key, precedence, TLS enablement and every error case,
//! against the fixtures in `tests/fixtures/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use solo_connect::{ClientConfig, ConfigError, ConfigLoader, PemSource};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Loads with an injected environment and the given fixture (or no file).
fn load(fixture_name: Option<&str>, pairs: &[(&str, &str)]) -> Result<ClientConfig, ConfigError> {
    loader(fixture_name, pairs).load()
}

fn loader(fixture_name: Option<&str>, pairs: &[(&str, &str)]) -> ConfigLoader {
    let loader = ClientConfig::loader().env(env(pairs));
    match fixture_name {
        Some(name) => loader.config_file(fixture(name)),
        None => loader.disable_file(),
    }
}

fn headers(config: &ClientConfig) -> Vec<(String, String)> {
    config
        .grpc_meta()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Defaults and the environment variables, one by one.

#[test]
fn nothing_set_gives_the_defaults() {
    let config = load(None, &[]).unwrap();
    assert_eq!(config.address(), "localhost:7233");
    assert_eq!(config.namespace(), "default");
    assert_eq!(config.profile(), "default");
    assert_eq!(config.api_key(), None);
    assert!(config.tls().is_none());
    assert!(!config.tls_enabled());
    assert!(config.codec().is_none());
    assert!(headers(&config).is_empty());
    assert_eq!(config.config_file(), None);
}

#[test]
fn every_variable_sets_its_key() {
    type Check = fn(&ClientConfig);
    let cases: &[(&[(&str, &str)], Check)] = &[
        (&[("TEMPORAL_ADDRESS", "env-host:1234")], |c| {
            assert_eq!(c.address(), "env-host:1234")
        }),
        (&[("TEMPORAL_NAMESPACE", "env-ns")], |c| {
            assert_eq!(c.namespace(), "env-ns")
        }),
        (&[("TEMPORAL_API_KEY", "env-key")], |c| {
            assert_eq!(c.api_key(), Some("env-key"));
            assert!(c.tls().is_none());
            assert!(c.tls_enabled(), "an API key turns TLS on");
        }),
        (&[("TEMPORAL_TLS", "true")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), Some(false));
            assert!(c.tls_enabled());
        }),
        (&[("TEMPORAL_TLS", "1")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), Some(false))
        }),
        (&[("TEMPORAL_TLS", "TRUE")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), Some(false))
        }),
        (&[("TEMPORAL_TLS", "false")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), Some(true));
            assert!(!c.tls_enabled());
        }),
        (&[("TEMPORAL_TLS", "0")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), Some(true))
        }),
        // An unparsable boolean is ignored, but (as in the Rust core) the variable being set
        // still creates the TLS table, which turns TLS on.
        (&[("TEMPORAL_TLS", "maybe")], |c| {
            assert_eq!(c.tls().unwrap().disabled(), None);
            assert!(c.tls_enabled());
        }),
        (&[("TEMPORAL_TLS_CLIENT_CERT_PATH", "/c.pem")], |c| {
            assert_eq!(
                c.tls().unwrap().client_cert(),
                Some(&PemSource::Path("/c.pem".into()))
            )
        }),
        (&[("TEMPORAL_TLS_CLIENT_CERT_DATA", "CERT")], |c| {
            assert_eq!(
                c.tls().unwrap().client_cert(),
                Some(&PemSource::Data(b"CERT".to_vec()))
            )
        }),
        (&[("TEMPORAL_TLS_CLIENT_KEY_PATH", "/k.pem")], |c| {
            assert_eq!(
                c.tls().unwrap().client_key(),
                Some(&PemSource::Path("/k.pem".into()))
            )
        }),
        (&[("TEMPORAL_TLS_CLIENT_KEY_DATA", "KEY")], |c| {
            assert_eq!(
                c.tls().unwrap().client_key(),
                Some(&PemSource::Data(b"KEY".to_vec()))
            )
        }),
        (&[("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/ca.pem")], |c| {
            assert_eq!(
                c.tls().unwrap().server_ca_cert(),
                Some(&PemSource::Path("/ca.pem".into()))
            )
        }),
        (&[("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "CA")], |c| {
            assert_eq!(
                c.tls().unwrap().server_ca_cert(),
                Some(&PemSource::Data(b"CA".to_vec()))
            )
        }),
        (&[("TEMPORAL_TLS_SERVER_NAME", "sni.example.com")], |c| {
            assert_eq!(c.tls().unwrap().server_name(), Some("sni.example.com"));
            assert!(
                c.tls_enabled(),
                "any TEMPORAL_TLS* variable creates the TLS table"
            );
        }),
        (&[("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "true")], |c| {
            assert!(c.tls().unwrap().disable_host_verification())
        }),
        (&[("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "nope")], |c| {
            assert!(!c.tls().unwrap().disable_host_verification())
        }),
        (&[("TEMPORAL_CODEC_ENDPOINT", "https://codec")], |c| {
            assert_eq!(
                c.codec().unwrap().endpoint.as_deref(),
                Some("https://codec")
            );
            assert_eq!(c.codec().unwrap().auth, None);
        }),
        (&[("TEMPORAL_CODEC_AUTH", "Bearer c")], |c| {
            assert_eq!(c.codec().unwrap().auth.as_deref(), Some("Bearer c"))
        }),
        (&[("TEMPORAL_GRPC_META_SOME_KEY", "v1")], |c| {
            assert_eq!(headers(c), vec![("some-key".to_owned(), "v1".to_owned())])
        }),
        (&[("TEMPORAL_GRPC_META_X", "")], |c| {
            assert!(headers(c).is_empty())
        }),
        // Empty values fall back to the defaults (a deliberate difference from Python).
        (&[("TEMPORAL_ADDRESS", "")], |c| {
            assert_eq!(c.address(), "localhost:7233")
        }),
        (&[("TEMPORAL_NAMESPACE", "")], |c| {
            assert_eq!(c.namespace(), "default")
        }),
        (&[("TEMPORAL_API_KEY", "")], |c| {
            assert_eq!(c.api_key(), None);
            assert!(!c.tls_enabled());
        }),
        (&[("TEMPORAL_TLS_CLIENT_CERT_DATA", "")], |c| {
            assert_eq!(c.tls().unwrap().client_cert(), None)
        }),
        // Unrelated variables change nothing.
        (
            &[("TEMPORAL_CLI", "/bin/temporal"), ("HOME", "/nowhere")],
            |c| {
                assert_eq!(c.address(), "localhost:7233");
                assert!(c.tls().is_none());
            },
        ),
    ];
    for (vars, check) in cases {
        let config = load(None, vars).unwrap_or_else(|e| panic!("{vars:?}: {e}"));
        check(&config);
    }
}

// ---------------------------------------------------------------------------------------------
// The file's keys.

#[test]
fn every_key_of_the_file_is_read() {
    let default = load(Some("full.toml"), &[]).unwrap();
    assert_eq!(default.profile(), "default");
    assert_eq!(default.address(), "file-host:7233");
    assert_eq!(default.namespace(), "file-ns");
    assert_eq!(default.config_file(), Some(fixture("full.toml").as_path()));
    assert_eq!(
        headers(&default),
        vec![
            ("another-header".to_owned(), "file-value".to_owned()),
            ("x-team".to_owned(), "payments".to_owned()),
        ],
        "grpc_meta keys are lower-cased with _ turned into -"
    );

    let cloud = loader(Some("full.toml"), &[])
        .profile("cloud")
        .load()
        .unwrap();
    assert_eq!(cloud.address(), "my-ns.a1b2c.tmprl.cloud:7233");
    assert_eq!(cloud.namespace(), "my-ns.a1b2c");
    assert_eq!(cloud.api_key(), Some("file-api-key"));
    assert!(cloud.tls_enabled());

    let mtls = loader(Some("full.toml"), &[])
        .profile("mtls")
        .load()
        .unwrap();
    let tls = mtls.tls().unwrap();
    assert_eq!(tls.disabled(), None);
    assert_eq!(
        tls.client_cert(),
        Some(&PemSource::Path("/nonexistent/solo/client.pem".into()))
    );
    assert_eq!(
        tls.client_key(),
        Some(&PemSource::Path("/nonexistent/solo/client.key".into()))
    );
    assert_eq!(
        tls.server_ca_cert(),
        Some(&PemSource::Path("/nonexistent/solo/ca.pem".into()))
    );
    assert_eq!(tls.server_name(), Some("override.example.com"));
    assert!(tls.disable_host_verification());

    let inline = loader(Some("full.toml"), &[])
        .profile("inline")
        .load()
        .unwrap();
    let tls = inline.tls().unwrap();
    assert_eq!(
        tls.client_cert(),
        Some(&PemSource::Data(
            b"-----BEGIN CERTIFICATE-----\ninline-cert\n-----END CERTIFICATE-----\n".to_vec()
        ))
    );
    assert_eq!(
        tls.client_key(),
        Some(&PemSource::Data(b"inline-key".to_vec()))
    );
    assert_eq!(
        tls.server_ca_cert(),
        None,
        "empty inline data counts as absent"
    );

    let codec = loader(Some("full.toml"), &[])
        .profile("codec")
        .load()
        .unwrap();
    let codec = codec.codec().unwrap();
    assert_eq!(codec.endpoint.as_deref(), Some("https://codec.example.com"));
    assert_eq!(codec.auth.as_deref(), Some("Bearer codec-secret"));
    assert!(!format!("{codec:?}").contains("secret"));
}

#[test]
fn tls_enablement_follows_the_four_rules() {
    // (profile, extra env, TLS on?)
    type Vars = &'static [(&'static str, &'static str)];
    let cases: &[(&str, Vars, bool)] = &[
        ("default", &[], false),          // no table, no key: off
        ("cloud", &[], true),             // no table, API key: on
        ("tls_empty", &[], true),         // an empty table: on
        ("tls_forced_on", &[], true),     // disabled = false: on
        ("key_tls_disabled", &[], false), // disabled = true beats the API key
        ("cloud", &[("TEMPORAL_TLS", "false")], false),
        ("default", &[("TEMPORAL_TLS", "true")], true),
        ("key_tls_disabled", &[("TEMPORAL_TLS", "1")], true),
        ("default", &[("TEMPORAL_API_KEY", "k")], true),
    ];
    for (profile, vars, expected) in cases {
        let config = loader(Some("full.toml"), vars)
            .profile(*profile)
            .load()
            .unwrap();
        assert_eq!(config.tls_enabled(), *expected, "{profile} {vars:?}");
        let options = config.connection_options().unwrap();
        assert_eq!(options.get_tls().is_some(), *expected, "{profile} {vars:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Precedence.

#[test]
fn environment_beats_file_and_code_beats_environment() {
    let vars = [
        ("TEMPORAL_ADDRESS", "env-host:1"),
        ("TEMPORAL_NAMESPACE", "env-ns"),
    ];
    let config = load(Some("full.toml"), &vars).unwrap();
    assert_eq!(config.address(), "env-host:1");
    assert_eq!(config.namespace(), "env-ns");

    let config = config
        .with_address("code-host:2")
        .with_namespace("code-ns")
        .with_api_key("code-key")
        .with_header("X_Code", "c");
    assert_eq!(config.address(), "code-host:2");
    assert_eq!(config.namespace(), "code-ns");
    assert_eq!(config.api_key(), Some("code-key"));
    assert!(headers(&config).contains(&("x-code".to_owned(), "c".to_owned())));

    // The file still fills in what neither overrides.
    let config = load(Some("full.toml"), &[("TEMPORAL_ADDRESS", "env-host:1")]).unwrap();
    assert_eq!(config.namespace(), "file-ns");
}

#[test]
fn environment_headers_override_and_remove_file_headers() {
    let config = load(
        Some("full.toml"),
        &[
            ("TEMPORAL_GRPC_META_X_TEAM", "from-env"),
            ("TEMPORAL_GRPC_META_ANOTHER_HEADER", ""),
            ("TEMPORAL_GRPC_META_NEW_ONE", "new"),
        ],
    )
    .unwrap();
    assert_eq!(
        headers(&config),
        vec![
            ("new-one".to_owned(), "new".to_owned()),
            ("x-team".to_owned(), "from-env".to_owned()),
        ]
    );
}

#[test]
fn environment_tls_values_override_the_file() {
    let config = loader(
        Some("full.toml"),
        &[
            ("TEMPORAL_TLS_CLIENT_CERT_PATH", "/env/cert.pem"),
            ("TEMPORAL_TLS_SERVER_NAME", "env.example.com"),
            ("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "false"),
        ],
    )
    .profile("mtls")
    .load()
    .unwrap();
    let tls = config.tls().unwrap();
    assert_eq!(
        tls.client_cert(),
        Some(&PemSource::Path("/env/cert.pem".into()))
    );
    assert_eq!(
        tls.client_key(),
        Some(&PemSource::Path("/nonexistent/solo/client.key".into()))
    );
    assert_eq!(tls.server_name(), Some("env.example.com"));
    assert!(!tls.disable_host_verification());
}

// ---------------------------------------------------------------------------------------------
// Choosing the file and the profile.

#[test]
fn profile_choice_code_then_variable_then_default() {
    let by_code = loader(Some("full.toml"), &[("TEMPORAL_PROFILE", "mtls")])
        .profile("cloud")
        .load()
        .unwrap();
    assert_eq!(by_code.profile(), "cloud");

    let by_env = load(Some("full.toml"), &[("TEMPORAL_PROFILE", "mtls")]).unwrap();
    assert_eq!(by_env.profile(), "mtls");
    assert_eq!(by_env.namespace(), "mtls-ns");

    let empty_is_unset = load(Some("full.toml"), &[("TEMPORAL_PROFILE", "")]).unwrap();
    assert_eq!(empty_is_unset.profile(), "default");
    assert_eq!(empty_is_unset.namespace(), "file-ns");
}

#[test]
fn file_choice_code_then_variable_then_os_default() {
    let home = tempfile::tempdir().unwrap();
    let default_file = if cfg!(windows) {
        home.path().join("temporalio").join("temporal.toml")
    } else if cfg!(target_os = "macos") {
        home.path()
            .join("Library/Application Support/temporalio/temporal.toml")
    } else {
        home.path().join(".config/temporalio/temporal.toml")
    };
    std::fs::create_dir_all(default_file.parent().unwrap()).unwrap();
    std::fs::write(
        &default_file,
        "[profile.default]\naddress = \"from-default-file:7233\"\n",
    )
    .unwrap();
    let home_str = home.path().to_str().unwrap();
    let base = [("HOME", home_str), ("APPDATA", home_str)];

    let from_default = ClientConfig::loader().env(env(&base)).load().unwrap();
    assert_eq!(from_default.address(), "from-default-file:7233");
    assert_eq!(from_default.config_file(), Some(default_file.as_path()));

    let full = fixture("full.toml");
    let full_str = full.to_str().unwrap();
    let mut with_var = base.to_vec();
    with_var.push(("TEMPORAL_CONFIG_FILE", full_str));
    let from_var = ClientConfig::loader().env(env(&with_var)).load().unwrap();
    assert_eq!(from_var.address(), "file-host:7233");

    let mut empty_var = base.to_vec();
    empty_var.push(("TEMPORAL_CONFIG_FILE", ""));
    let empty_is_unset = ClientConfig::loader().env(env(&empty_var)).load().unwrap();
    assert_eq!(empty_is_unset.address(), "from-default-file:7233");

    let from_code = ClientConfig::loader()
        .env(env(&with_var))
        .config_data("[profile.default]\naddress = \"from-data:1\"\n")
        .load()
        .unwrap();
    assert_eq!(from_code.address(), "from-data:1");
    assert_eq!(from_code.config_file(), None);

    let from_code_file = ClientConfig::loader()
        .env(env(&with_var))
        .config_file(fixture("typo.toml"))
        .load()
        .unwrap();
    assert_eq!(from_code_file.namespace(), "typo-ns");
}

#[test]
fn a_missing_file_is_an_empty_config() {
    let missing = fixture("does-not-exist.toml");
    let config = ClientConfig::loader()
        .env(env(&[]))
        .config_file(&missing)
        .load()
        .unwrap();
    assert_eq!(config.address(), "localhost:7233");
    assert_eq!(config.config_file(), None);

    let via_var = ClientConfig::loader()
        .env(env(&[("TEMPORAL_CONFIG_FILE", missing.to_str().unwrap())]))
        .load()
        .unwrap();
    assert_eq!(via_var.namespace(), "default");
}

#[test]
fn the_implicit_default_profile_may_be_missing() {
    let config = ClientConfig::loader()
        .env(env(&[]))
        .config_data("[profile.other]\naddress = \"other:1\"\n")
        .load()
        .unwrap();
    assert_eq!(config.address(), "localhost:7233");
    assert_eq!(
        load(Some("empty.toml"), &[]).unwrap().address(),
        "localhost:7233"
    );
}

#[test]
fn disable_env_ignores_overlay_and_profile_but_not_the_file_variable() {
    let full = fixture("full.toml");
    let config = ClientConfig::loader()
        .env(env(&[
            ("TEMPORAL_CONFIG_FILE", full.to_str().unwrap()),
            ("TEMPORAL_PROFILE", "cloud"),
            ("TEMPORAL_ADDRESS", "env-host:1"),
            ("TEMPORAL_TLS", "true"),
        ]))
        .disable_env()
        .load()
        .unwrap();
    assert_eq!(config.profile(), "default");
    assert_eq!(config.address(), "file-host:7233");
    assert!(config.tls().is_none());
}

#[test]
fn disable_file_ignores_the_file_and_named_profiles() {
    let config = ClientConfig::loader()
        .env(env(&[("TEMPORAL_NAMESPACE", "env-ns")]))
        .config_file(fixture("full.toml"))
        .profile("no-such-profile")
        .disable_file()
        .load()
        .unwrap();
    assert_eq!(config.address(), "localhost:7233");
    assert_eq!(config.namespace(), "env-ns");
}

#[test]
fn unknown_keys_are_ignored_unless_strict() {
    let lenient = load(Some("typo.toml"), &[]).unwrap();
    assert_eq!(lenient.address(), "localhost:7233");
    assert_eq!(lenient.namespace(), "typo-ns");
    assert!(load(Some("go_authority.toml"), &[]).is_ok());
    assert!(load(Some("top_level_unknown.toml"), &[]).is_ok());
    assert!(load(Some("unknown_tls_key.toml"), &[]).is_ok());
    // Strict mode accepts every documented key.
    for profile in ["default", "cloud", "mtls", "inline", "codec", "tls_empty"] {
        loader(Some("full.toml"), &[])
            .strict()
            .profile(profile)
            .load()
            .unwrap_or_else(|e| panic!("{profile}: {e}"));
    }
}

#[test]
fn profile_names_keep_their_case_and_dots() {
    let config = ClientConfig::loader()
        .env(env(&[]))
        .config_data("[profile.\"Prod.EU\"]\naddress = \"eu:1\"\n[profile.\"Prod.EU\".grpc_meta]\n\"a.b\" = \"c\"\n")
        .profile("Prod.EU")
        .load()
        .unwrap();
    assert_eq!(config.address(), "eu:1");
    assert_eq!(headers(&config), vec![("a.b".to_owned(), "c".to_owned())]);
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the file / profile / key / variable and a fix.

/// Asserts that `result` failed, the message contains every fragment, and it is one line.
fn assert_error(
    result: Result<impl std::fmt::Debug, ConfigError>,
    fragments: &[&str],
) -> ConfigError {
    let error = result.expect_err("expected an error");
    let message = error.to_string();
    assert!(!message.contains('\n'), "not one line: {message}");
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "{fragment:?} missing from: {message}"
        );
    }
    error
}

#[test]
fn malformed_toml_names_the_file_line_and_column() {
    let error = assert_error(
        load(Some("malformed.toml"), &[]),
        &[
            "malformed.toml",
            "is not valid TOML",
            "line 3, column 13",
            "strings need double quotes",
        ],
    );
    assert!(matches!(
        error,
        ConfigError::MalformedToml {
            line: 3,
            column: 13,
            ..
        }
    ));
    assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_data("[profile.default\n")
            .load(),
        &["<config data>", "line 1"],
    );
}

#[test]
fn wrong_types_name_the_key() {
    assert_error(
        load(Some("wrong_type.toml"), &[]),
        &[
            "`profile.default.address`",
            "must be a string",
            "the integer 7233",
            "address = \"...\"",
        ],
    );
    assert_error(
        load(Some("wrong_bool.toml"), &[]),
        &[
            "`profile.default.tls.disabled`",
            "must be a boolean",
            "without quotes",
        ],
    );
    assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_data("profile = 1\n")
            .load(),
        &["`profile`", "a table of profiles"],
    );
    assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_data("[profile]\ndefault = \"x\"\n")
            .load(),
        &["`profile.default`", "must be a table"],
    );
    assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_data("[profile.default]\ntls = true\n")
            .load(),
        &["`profile.default.tls`", "must be a table"],
    );
    assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_data("[profile.default.grpc_meta]\nx = 1\n")
            .load(),
        &["`profile.default.grpc_meta.x`", "must be a string"],
    );
}

#[test]
fn strict_mode_names_unknown_keys() {
    let cases = [
        (
            "typo.toml",
            "`profile.default.adress`",
            "address, namespace",
        ),
        (
            "go_authority.toml",
            "`profile.default.authority`",
            "api_key",
        ),
        (
            "unknown_tls_key.toml",
            "`profile.default.tls.client_cert`",
            "client_cert_path",
        ),
        (
            "top_level_unknown.toml",
            "`version`",
            "allowed here: profile",
        ),
    ];
    for (file, key, allowed) in cases {
        let error = assert_error(
            loader(Some(file), &[]).strict().load(),
            &[file, key, allowed, "strict mode"],
        );
        assert!(matches!(error, ConfigError::UnknownKey { .. }));
    }
}

#[test]
fn path_and_data_together_are_rejected() {
    assert_error(
        load(Some("path_and_data.toml"), &[]),
        &[
            "`tls.client_cert_path` and `tls.client_cert_data`",
            "profile \"default\"",
            "path_and_data.toml",
            "set only one",
        ],
    );
    for (path_var, data_var) in [
        (
            "TEMPORAL_TLS_CLIENT_CERT_PATH",
            "TEMPORAL_TLS_CLIENT_CERT_DATA",
        ),
        (
            "TEMPORAL_TLS_CLIENT_KEY_PATH",
            "TEMPORAL_TLS_CLIENT_KEY_DATA",
        ),
        (
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
            "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        ),
    ] {
        let error = assert_error(
            load(None, &[(path_var, "/p"), (data_var, "d")]),
            &[path_var, data_var],
        );
        assert!(matches!(error, ConfigError::PathAndData { .. }));
    }
}

#[test]
fn environment_and_file_may_not_mix_path_and_data() {
    let error = assert_error(
        loader(
            Some("full.toml"),
            &[("TEMPORAL_TLS_CLIENT_CERT_PATH", "/env.pem")],
        )
        .profile("inline")
        .load(),
        &[
            "TEMPORAL_TLS_CLIENT_CERT_PATH",
            "client certificate",
            "`tls.client_cert_data`",
            "profile \"inline\"",
            "unset",
        ],
    );
    assert!(matches!(error, ConfigError::EnvConflictsWithFile { .. }));
    assert_error(
        loader(
            Some("full.toml"),
            &[("TEMPORAL_TLS_CLIENT_KEY_DATA", "KEY")],
        )
        .profile("mtls")
        .load(),
        &[
            "TEMPORAL_TLS_CLIENT_KEY_DATA",
            "client key",
            "`tls.client_key_path`",
        ],
    );
    // The file's empty server_ca_cert_data counts as absent, so a path from the environment
    // is fine.
    let config = loader(
        Some("full.toml"),
        &[("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/ca.pem")],
    )
    .profile("inline")
    .load()
    .unwrap();
    assert_eq!(
        config.tls().unwrap().server_ca_cert(),
        Some(&PemSource::Path("/ca.pem".into()))
    );
}

#[test]
fn a_named_profile_must_exist() {
    let error = assert_error(
        loader(Some("full.toml"), &[]).profile("prod").load(),
        &[
            "profile \"prod\"",
            "ConfigLoader::profile",
            "full.toml",
            "known profiles: cloud, codec, default",
            "add a [profile.prod] table",
        ],
    );
    assert!(matches!(error, ConfigError::ProfileNotFound { .. }));
    assert_error(
        load(Some("full.toml"), &[("TEMPORAL_PROFILE", "staging")]),
        &["profile \"staging\"", "chosen by TEMPORAL_PROFILE"],
    );
    assert_error(
        loader(Some("does-not-exist.toml"), &[])
            .profile("prod")
            .load(),
        &["the file does not exist"],
    );
    assert_error(
        loader(Some("empty.toml"), &[]).profile("prod").load(),
        &["the file defines no profiles"],
    );
}

#[test]
fn an_unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = assert_error(
        ClientConfig::loader()
            .env(env(&[]))
            .config_file(dir.path())
            .load(),
        &[
            "cannot read config file",
            dir.path().to_str().unwrap(),
            "TEMPORAL_CONFIG_FILE",
        ],
    );
    assert!(matches!(error, ConfigError::ReadFile { .. }));
}

#[test]
fn disabling_both_sources_is_an_error() {
    let error = assert_error(
        ClientConfig::loader().disable_file().disable_env().load(),
        &["cannot disable both file and environment loading"],
    );
    assert_eq!(error, ConfigError::NothingToLoad);
}

// ---------------------------------------------------------------------------------------------
// From profile to connection options.

#[test]
fn options_carry_address_namespace_key_and_headers() {
    let options = loader(Some("full.toml"), &[])
        .profile("cloud")
        .load()
        .unwrap()
        .with_header("x-extra", "1")
        .connection_options()
        .unwrap();
    assert_eq!(options.get_address(), "my-ns.a1b2c.tmprl.cloud:7233");
    assert_eq!(options.get_namespace(), "my-ns.a1b2c");
    assert!(options.has_api_key());
    assert_eq!(
        options.get_headers().collect::<Vec<_>>(),
        vec![("x-extra", "1")]
    );
    let tls = options.get_tls().unwrap();
    assert_eq!(tls.server_ca_pem, None, "system roots");
    assert_eq!(tls.client_cert_pem, None);

    let defaults = load(None, &[]).unwrap().connection_options().unwrap();
    assert_eq!(defaults.get_address(), "localhost:7233");
    assert_eq!(defaults.get_namespace(), "default");
    assert!(defaults.get_tls().is_none());
}

#[test]
fn options_read_certificate_files() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["client.example.com".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = dir.path().join("client.pem");
    let key_path = dir.path().join("client.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    let options = load(
        None,
        &[
            ("TEMPORAL_TLS_CLIENT_CERT_PATH", cert_path.to_str().unwrap()),
            ("TEMPORAL_TLS_CLIENT_KEY_PATH", key_path.to_str().unwrap()),
            ("TEMPORAL_TLS_SERVER_CA_CERT_DATA", &cert.pem()),
            ("TEMPORAL_TLS_SERVER_NAME", "server.example.com"),
        ],
    )
    .unwrap()
    .connection_options()
    .unwrap();
    let tls = options.get_tls().unwrap();
    assert_eq!(tls.client_cert_pem.as_deref(), Some(cert.pem().as_bytes()));
    assert_eq!(
        tls.client_key_pem.as_deref(),
        Some(key.serialize_pem().as_bytes())
    );
    assert_eq!(tls.server_ca_pem.as_deref(), Some(cert.pem().as_bytes()));
    assert_eq!(tls.server_name.as_deref(), Some("server.example.com"));
}

#[test]
fn options_errors_name_the_origin() {
    let error = assert_error(
        load(Some("missing_cert.toml"), &[])
            .unwrap()
            .connection_options(),
        &[
            "cannot read the client certificate file /nonexistent/solo/client.pem",
            "`tls.client_cert_path` in profile \"default\"",
            "missing_cert.toml",
            "No such file or directory",
            "fix the path",
        ],
    );
    assert!(matches!(error, ConfigError::ReadPem { .. }));

    assert_error(
        load(
            None,
            &[("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca.pem")],
        )
        .unwrap()
        .connection_options(),
        &[
            "server CA certificate file /nonexistent/ca.pem",
            "(set by TEMPORAL_TLS_SERVER_CA_CERT_PATH)",
        ],
    );

    let error = assert_error(
        load(Some("cert_without_key.toml"), &[])
            .unwrap()
            .connection_options(),
        &[
            "only the client certificate is set",
            "`tls.client_cert_data`",
            "tls.client_key_path",
        ],
    );
    assert!(matches!(
        error,
        ConfigError::IncompleteClientIdentity { .. }
    ));
    assert_error(
        load(None, &[("TEMPORAL_TLS_CLIENT_KEY_DATA", "k")])
            .unwrap()
            .connection_options(),
        &[
            "only the client key is set",
            "TEMPORAL_TLS_CLIENT_KEY_DATA",
            "tls.client_cert_path",
        ],
    );
    // With TLS off, certificate settings are not looked at (as in every SDK).
    assert!(
        load(
            None,
            &[
                ("TEMPORAL_TLS_CLIENT_KEY_DATA", "k"),
                ("TEMPORAL_TLS", "false")
            ]
        )
        .unwrap()
        .connection_options()
        .is_ok()
    );

    assert_error(
        load(None, &[("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "not pem")])
            .unwrap()
            .connection_options(),
        &[
            "server CA certificate set by TEMPORAL_TLS_SERVER_CA_CERT_DATA",
            "BEGIN CERTIFICATE",
        ],
    );

    let error = assert_error(
        load(Some("bad_address.toml"), &[])
            .unwrap()
            .connection_options(),
        &[
            "invalid Temporal address `://bad`",
            "`address` in profile \"default\"",
            "localhost:7233",
        ],
    );
    assert!(matches!(error, ConfigError::InvalidAddress { .. }));
    assert_error(
        load(None, &[("TEMPORAL_ADDRESS", "localhost")])
            .unwrap()
            .connection_options(),
        &[
            "(set by TEMPORAL_ADDRESS)",
            "the port is missing",
            "localhost:7233",
        ],
    );
    assert_error(
        ClientConfig::default()
            .with_address("http://x:1")
            .with_api_key("k")
            .connection_options(),
        &["`ClientConfig::with_address`", "http://"],
    );

    assert_error(
        load(Some("bad_header.toml"), &[])
            .unwrap()
            .connection_options(),
        &[
            "invalid gRPC header `bad header`",
            "`grpc_meta.bad header`",
            "x-team",
        ],
    );
    assert_error(
        load(None, &[("TEMPORAL_GRPC_META_GRPC_TIMEOUT", "1S")])
            .unwrap()
            .connection_options(),
        &[
            "`grpc-timeout`",
            "TEMPORAL_GRPC_META_GRPC_TIMEOUT",
            "reserved",
        ],
    );
}

#[test]
fn debug_output_hides_secrets() {
    let config = load(
        None,
        &[
            ("TEMPORAL_API_KEY", "very-secret-key"),
            ("TEMPORAL_GRPC_META_AUTHORIZATION", "Bearer other-secret"),
            ("TEMPORAL_TLS_CLIENT_KEY_DATA", "secret-pem"),
        ],
    )
    .unwrap();
    let text = format!("{config:?}");
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("authorization"), "{text}");
}
