use std::collections::HashMap;
use solo_connect::ClientConfig;
fn f(n: &str) -> std::path::PathBuf { std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(n) }
#[test]
fn print() {
    let e = |pairs: &[(&str,&str)]| pairs.iter().map(|(a,b)| (a.to_string(), b.to_string())).collect::<HashMap<_,_>>();
    let show = |r: Result<ClientConfig, solo_connect::ConfigError>| match r { Ok(c) => match c.connection_options() { Ok(_) => println!("OK"), Err(e) => println!("{e}") }, Err(e) => println!("{e}") };
    show(ClientConfig::loader().env(e(&[])).config_file(f("malformed.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("full.toml")).profile("prod").load());
    show(ClientConfig::loader().env(e(&[("TEMPORAL_PROFILE","prod")])).config_file(f("full.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("missing_cert.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("wrong_type.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("typo.toml")).strict().load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("path_and_data.toml")).load());
    show(ClientConfig::loader().env(e(&[("TEMPORAL_TLS_CLIENT_CERT_PATH","/x")])).config_file(f("full.toml")).profile("inline").load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("cert_without_key.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_file(f("bad_address.toml")).load());
    show(ClientConfig::loader().env(e(&[])).config_data("[profile.default]\naddress = \"a\nb\"\n").load());
    show(ClientConfig::loader().env(e(&[])).config_data("[profile.default]\naddress = \"a\"\naddress = \"b\"\n").load());
    show(ClientConfig::loader().env(e(&[])).config_data("[profile.default\n").load());
}
