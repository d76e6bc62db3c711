//! Wire-compatibility check of our hand-written `proto/` subset against the
//! upstream Temporal API definitions.
//!
//! Upstream descriptors come from the Python `temporalio` package (and
//! `googleapis-common-protos` for `google/rpc`), dumped by
//! `xtask/compat/dump_upstream.py`. Everything we define must exist upstream
//! with identical wire-relevant properties; anything we leave out is fine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet, ServiceDescriptorProto,
};

/// Counts of the definitions that were checked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Proto files.
    pub files: usize,
    /// Messages, nested ones included, map entries excluded.
    pub messages: usize,
    /// Fields of those messages.
    pub fields: usize,
    /// Enum values, nested enums included.
    pub enum_values: usize,
    /// Service methods.
    pub rpcs: usize,
}

impl Stats {
    /// Counts the definitions in `set`.
    pub fn of(set: &FileDescriptorSet) -> Self {
        fn message(stats: &mut Stats, msg: &DescriptorProto) {
            if !is_map_entry(msg) {
                stats.messages += 1;
                stats.fields += msg.field.len();
            }
            for nested in &msg.nested_type {
                message(stats, nested);
            }
            for en in &msg.enum_type {
                stats.enum_values += en.value.len();
            }
        }
        let mut stats = Stats::default();
        for file in &set.file {
            stats.files += 1;
            for msg in &file.message_type {
                message(&mut stats, msg);
            }
            for en in &file.enum_type {
                stats.enum_values += en.value.len();
            }
            for svc in &file.service {
                stats.rpcs += svc.method.len();
            }
        }
        stats
    }
}

/// Compares every definition in `ours` with `upstream` and returns one line
/// per mismatch. An empty result means `ours` is wire-compatible.
pub fn compare(ours: &FileDescriptorSet, upstream: &FileDescriptorSet) -> Vec<String> {
    let mut checker = Checker {
        upstream: Index::build(upstream),
        mismatches: Vec::new(),
    };
    for file in &ours.file {
        checker.file(file);
    }
    checker.mismatches
}

/// Compiles `<workspace_root>/proto`, dumps the matching upstream files with
/// `python`, compares both and prints the result.
#[allow(clippy::print_stdout)]
pub fn run(python: &Path, workspace_root: &Path) -> Result<()> {
    let proto_dir = workspace_root.join("proto");
    let paths = find_protos(&proto_dir)?;
    if paths.is_empty() {
        bail!("no .proto files found under {}", proto_dir.display());
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| file_name(&proto_dir, p))
        .collect::<Result<_>>()?;

    let compiled = protox::compile(&paths, [&proto_dir])
        .with_context(|| format!("compiling protos under {}", proto_dir.display()))?;
    let ours = FileDescriptorSet {
        file: compiled
            .file
            .into_iter()
            .filter(|f| names.iter().any(|n| n == f.name()))
            .collect(),
    };

    let script = workspace_root.join("xtask/compat/dump_upstream.py");
    let out = std::env::temp_dir().join(format!("solo-compat-upstream-{}.bin", std::process::id()));
    let status = Command::new(python)
        .arg(&script)
        .arg(&out)
        .args(&names)
        .status()
        .with_context(|| format!("running {} {}", python.display(), script.display()))?;
    if !status.success() {
        let _ = std::fs::remove_file(&out);
        bail!("{} failed ({status})", script.display());
    }
    let bytes = std::fs::read(&out).with_context(|| format!("reading {}", out.display()));
    let _ = std::fs::remove_file(&out);
    let upstream = FileDescriptorSet::decode(bytes?.as_slice())
        .context("decoding the upstream FileDescriptorSet")?;

    let mismatches = compare(&ours, &upstream);
    if !mismatches.is_empty() {
        for line in &mismatches {
            println!("compat: {line}");
        }
        bail!(
            "{} wire-compatibility mismatch(es) between proto/ and upstream",
            mismatches.len()
        );
    }
    let stats = Stats::of(&ours);
    println!(
        "compat: {} files, {} messages, {} fields, {} enum values, {} rpcs match upstream",
        stats.files, stats.messages, stats.fields, stats.enum_values, stats.rpcs
    );
    Ok(())
}

/// All `.proto` files below `dir`, sorted by their proto file name.
fn find_protos(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("reading {}", current.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                found.push(path);
            }
        }
    }
    found.sort_by_cached_key(|p| file_name(dir, p).unwrap_or_default());
    Ok(found)
}

/// Proto file name (`a/b/c.proto`, forward slashes) of `path` relative to `root`.
fn file_name(root: &Path, path: &Path) -> Result<String> {
    let rel = path
        .strip_prefix(root)
        .with_context(|| format!("{} is not under {}", path.display(), root.display()))?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// Upstream definitions by full name (no leading dot), with their file name.
struct Index<'a> {
    messages: HashMap<String, (&'a DescriptorProto, &'a str)>,
    enums: HashMap<String, (&'a EnumDescriptorProto, &'a str)>,
    services: HashMap<String, (&'a ServiceDescriptorProto, &'a str)>,
}

impl<'a> Index<'a> {
    fn build(set: &'a FileDescriptorSet) -> Self {
        let mut index = Index {
            messages: HashMap::new(),
            enums: HashMap::new(),
            services: HashMap::new(),
        };
        for file in &set.file {
            let pkg = file.package();
            for msg in &file.message_type {
                index.add_message(&qualify(pkg, msg.name()), msg, file.name());
            }
            for en in &file.enum_type {
                index
                    .enums
                    .insert(qualify(pkg, en.name()), (en, file.name()));
            }
            for svc in &file.service {
                index
                    .services
                    .insert(qualify(pkg, svc.name()), (svc, file.name()));
            }
        }
        index
    }

    fn add_message(&mut self, full: &str, msg: &'a DescriptorProto, file: &'a str) {
        self.messages.insert(full.to_owned(), (msg, file));
        for nested in &msg.nested_type {
            self.add_message(&qualify(full, nested.name()), nested, file);
        }
        for en in &msg.enum_type {
            self.enums.insert(qualify(full, en.name()), (en, file));
        }
    }
}

struct Checker<'a> {
    upstream: Index<'a>,
    mismatches: Vec<String>,
}

impl Checker<'_> {
    fn file(&mut self, file: &FileDescriptorProto) {
        let pkg = file.package();
        for msg in &file.message_type {
            self.message(&qualify(pkg, msg.name()), msg, file.name());
        }
        for en in &file.enum_type {
            self.enumeration(&qualify(pkg, en.name()), en, file.name());
        }
        for svc in &file.service {
            self.service(&qualify(pkg, svc.name()), svc, file.name());
        }
    }

    fn same_file(&mut self, kind: &str, full: &str, ours: &str, theirs: &str) {
        if ours != theirs {
            self.mismatches.push(format!(
                "{kind} {full} is defined in {ours} here but in {theirs} upstream"
            ));
        }
    }

    fn message(&mut self, full: &str, ours: &DescriptorProto, file: &str) {
        let Some(&(theirs, their_file)) = self.upstream.messages.get(full) else {
            self.mismatches.push(format!(
                "message {full} (in {file}) does not exist upstream"
            ));
            return;
        };
        self.same_file("message", full, file, their_file);

        let our_map = is_map_entry(ours);
        if our_map != is_map_entry(theirs) {
            self.mismatches.push(format!(
                "message {full}: map entry is {our_map} here but {} upstream",
                !our_map
            ));
        }
        for field in &ours.field {
            if let Some(problem) = field_problem(ours, field, theirs) {
                self.mismatches.push(format!(
                    "field {full}.{} = {}: {problem}",
                    field.name(),
                    field.number()
                ));
            }
        }
        for nested in &ours.nested_type {
            self.message(&qualify(full, nested.name()), nested, file);
        }
        for en in &ours.enum_type {
            self.enumeration(&qualify(full, en.name()), en, file);
        }
    }

    fn enumeration(&mut self, full: &str, ours: &EnumDescriptorProto, file: &str) {
        let Some(&(theirs, their_file)) = self.upstream.enums.get(full) else {
            self.mismatches
                .push(format!("enum {full} (in {file}) does not exist upstream"));
            return;
        };
        self.same_file("enum", full, file, their_file);
        for value in &ours.value {
            match theirs.value.iter().find(|v| v.name() == value.name()) {
                Some(up) if up.number() == value.number() => {}
                Some(up) => self.mismatches.push(format!(
                    "enum value {full}.{}: number {} here, {} upstream",
                    value.name(),
                    value.number(),
                    up.number()
                )),
                None => {
                    let taken = theirs
                        .value
                        .iter()
                        .find(|v| v.number() == value.number())
                        .map(|v| format!(" (number {} is {} upstream)", v.number(), v.name()))
                        .unwrap_or_default();
                    self.mismatches.push(format!(
                        "enum value {full}.{} = {} does not exist upstream{taken}",
                        value.name(),
                        value.number()
                    ));
                }
            }
        }
    }

    fn service(&mut self, full: &str, ours: &ServiceDescriptorProto, file: &str) {
        let Some(&(theirs, their_file)) = self.upstream.services.get(full) else {
            self.mismatches.push(format!(
                "service {full} (in {file}) does not exist upstream"
            ));
            return;
        };
        self.same_file("service", full, file, their_file);
        for method in &ours.method {
            let Some(up) = theirs.method.iter().find(|m| m.name() == method.name()) else {
                self.mismatches.push(format!(
                    "rpc {full}.{} does not exist upstream",
                    method.name()
                ));
                continue;
            };
            let mut problems = Vec::new();
            let (ours_in, up_in) = (trim(method.input_type()), trim(up.input_type()));
            if ours_in != up_in {
                problems.push(format!("input type {ours_in} here, {up_in} upstream"));
            }
            let (ours_out, up_out) = (trim(method.output_type()), trim(up.output_type()));
            if ours_out != up_out {
                problems.push(format!("output type {ours_out} here, {up_out} upstream"));
            }
            if method.client_streaming() != up.client_streaming() {
                problems.push(format!(
                    "client streaming {} here, {} upstream",
                    method.client_streaming(),
                    up.client_streaming()
                ));
            }
            if method.server_streaming() != up.server_streaming() {
                problems.push(format!(
                    "server streaming {} here, {} upstream",
                    method.server_streaming(),
                    up.server_streaming()
                ));
            }
            if !problems.is_empty() {
                self.mismatches.push(format!(
                    "rpc {full}.{}: {}",
                    method.name(),
                    problems.join("; ")
                ));
            }
        }
    }
}

/// Describes how `field` of `ours` differs from the same-named field of
/// `theirs`, or `None` when they agree.
fn field_problem(
    ours: &DescriptorProto,
    field: &FieldDescriptorProto,
    theirs: &DescriptorProto,
) -> Option<String> {
    let Some(up) = theirs.field.iter().find(|f| f.name() == field.name()) else {
        let taken = theirs
            .field
            .iter()
            .find(|f| f.number() == field.number())
            .map(|f| format!(" (number {} is `{}` upstream)", f.number(), f.name()))
            .unwrap_or_default();
        return Some(format!("no field with this name upstream{taken}"));
    };

    let mut problems = Vec::new();
    if field.number() != up.number() {
        problems.push(format!(
            "number {} here, {} upstream",
            field.number(),
            up.number()
        ));
    }
    if field.r#type != up.r#type {
        problems.push(format!(
            "type {} here, {} upstream",
            type_name(field.r#type),
            type_name(up.r#type)
        ));
    } else if trim(field.type_name()) != trim(up.type_name()) {
        problems.push(format!(
            "type {} here, {} upstream",
            trim(field.type_name()),
            trim(up.type_name())
        ));
    }
    if field.label != up.label {
        problems.push(format!(
            "label {} here, {} upstream",
            label_name(field.label),
            label_name(up.label)
        ));
    }
    let (our_oneof, up_oneof) = (oneof_name(ours, field), oneof_name(theirs, up));
    if our_oneof != up_oneof {
        problems.push(format!(
            "oneof {} here, {} upstream",
            our_oneof.unwrap_or("(none)"),
            up_oneof.unwrap_or("(none)")
        ));
    }
    if field.proto3_optional() != up.proto3_optional() {
        problems.push(format!(
            "proto3 optional {} here, {} upstream",
            field.proto3_optional(),
            up.proto3_optional()
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn oneof_name<'m>(msg: &'m DescriptorProto, field: &FieldDescriptorProto) -> Option<&'m str> {
    let index = usize::try_from(field.oneof_index?).ok()?;
    msg.oneof_decl.get(index).map(|o| o.name())
}

fn is_map_entry(msg: &DescriptorProto) -> bool {
    msg.options.as_ref().is_some_and(|o| o.map_entry())
}

fn type_name(raw: Option<i32>) -> String {
    match raw.map(Type::try_from) {
        Some(Ok(t)) => t.as_str_name().to_owned(),
        Some(Err(_)) => format!("unknown type {}", raw.unwrap_or_default()),
        None => "(unset)".to_owned(),
    }
}

fn label_name(raw: Option<i32>) -> String {
    match raw.map(Label::try_from) {
        Some(Ok(l)) => l.as_str_name().to_owned(),
        Some(Err(_)) => format!("unknown label {}", raw.unwrap_or_default()),
        None => "(unset)".to_owned(),
    }
}

fn trim(name: &str) -> &str {
    name.strip_prefix('.').unwrap_or(name)
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

    /// Serves proto sources from memory.
    struct Sources(Vec<(String, String)>);

    impl FileResolver for Sources {
        fn open_file(&self, name: &str) -> Result<File, protox::Error> {
            match self.0.iter().find(|(n, _)| n == name) {
                Some((n, src)) => File::from_source(n, src),
                None => Err(protox::Error::file_not_found(name)),
            }
        }
    }

    fn compile(files: &[(&str, &str)]) -> FileDescriptorSet {
        let mut chain = ChainFileResolver::new();
        chain.add(Sources(
            files
                .iter()
                .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
                .collect(),
        ));
        chain.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler
            .open_files(files.iter().map(|(n, _)| *n))
            .expect("test protos compile");
        compiler.file_descriptor_set()
    }

    const DEMO: &str = r#"
syntax = "proto3";
package demo.v1;

import "google/protobuf/duration.proto";

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_BLUE = 2;
}

message Thing {
  message Inner {
    bool ok = 1;
  }
  enum Mode {
    MODE_UNSPECIFIED = 0;
    MODE_FAST = 1;
  }
  string name = 1;
  int64 size = 2;
  Color color = 3;
  map<string, bytes> meta = 4;
  oneof kind {
    string text = 5;
    Inner inner = 6;
  }
  optional string note = 7;
  repeated google.protobuf.Duration waits = 8;
  Mode mode = 9;
}

message GetRequest {
  string id = 1;
}

message GetResponse {
  Thing thing = 1;
}

service DemoService {
  rpc Get(GetRequest) returns (GetResponse);
  rpc Watch(GetRequest) returns (stream GetResponse);
}
"#;

    const NAME: &str = "demo/v1/demo.proto";

    fn demo() -> FileDescriptorSet {
        compile(&[(NAME, DEMO)])
    }

    /// The demo file with exactly one textual replacement applied.
    fn demo_with(from: &str, to: &str) -> FileDescriptorSet {
        assert_eq!(DEMO.matches(from).count(), 1, "ambiguous edit {from:?}");
        compile(&[(NAME, &DEMO.replacen(from, to, 1))])
    }

    #[test]
    fn identical_sets_match() {
        assert_eq!(compare(&demo(), &demo()), Vec::<String>::new());
        assert_eq!(
            Stats::of(&demo()),
            Stats {
                files: 1,
                messages: 4,
                fields: 12,
                enum_values: 5,
                rpcs: 2
            }
        );
    }

    #[test]
    fn upstream_extras_are_fine() {
        let upstream = demo_with(
            "  Mode mode = 9;\n",
            "  Mode mode = 9;\n  string extra = 10;\n  message More {}\n",
        );
        let upstream = {
            let mut set = upstream;
            let more = compile(&[(
                "demo/v1/other.proto",
                "syntax = \"proto3\";\npackage demo.v1;\nmessage Other {}\n",
            )]);
            set.file.extend(more.file);
            set
        };
        let ours = demo_with("  COLOR_BLUE = 2;\n", "");
        assert_eq!(compare(&ours, &upstream), Vec::<String>::new());
    }

    #[test]
    fn changed_field_number_is_one_mismatch() {
        let ours = demo_with("int64 size = 2;", "int64 size = 12;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(
            mismatches[0].contains("demo.v1.Thing.size"),
            "{mismatches:#?}"
        );
        assert!(
            mismatches[0].contains("number 12 here, 2 upstream"),
            "{mismatches:#?}"
        );
    }

    #[test]
    fn changed_field_type_is_reported() {
        let ours = demo_with("int64 size = 2;", "int32 size = 2;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("TYPE_INT32 here, TYPE_INT64 upstream"));
    }

    #[test]
    fn changed_message_type_name_is_reported() {
        let ours = demo_with("Color color = 3;", "Thing.Mode color = 3;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("demo.v1.Thing.Mode here, demo.v1.Color upstream"));
    }

    #[test]
    fn changed_label_is_reported() {
        let ours = demo_with("string name = 1;", "repeated string name = 1;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("LABEL_REPEATED here, LABEL_OPTIONAL upstream"));
    }

    #[test]
    fn oneof_membership_is_checked() {
        let ours = demo_with(
            "  oneof kind {\n    string text = 5;\n    Inner inner = 6;\n  }\n",
            "  string text = 5;\n  oneof kind {\n    Inner inner = 6;\n  }\n",
        );
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("Thing.text"));
        assert!(mismatches[0].contains("oneof (none) here, kind upstream"));
    }

    #[test]
    fn proto3_optional_is_checked() {
        let ours = demo_with("optional string note = 7;", "string note = 7;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("proto3 optional false here, true upstream"));
    }

    #[test]
    fn map_value_type_is_checked() {
        let ours = demo_with("map<string, bytes> meta", "map<string, string> meta");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("demo.v1.Thing.MetaEntry.value"));
    }

    #[test]
    fn renamed_field_is_reported() {
        let ours = demo_with("string name = 1;", "string title = 1;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("Thing.title"));
        assert!(mismatches[0].contains("number 1 is `name` upstream"));
    }

    #[test]
    fn changed_enum_value_number_is_reported() {
        let ours = demo_with("COLOR_BLUE = 2;", "COLOR_BLUE = 3;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("demo.v1.Color.COLOR_BLUE"));
        assert!(mismatches[0].contains("number 3 here, 2 upstream"));
    }

    #[test]
    fn nested_enum_value_is_checked() {
        let ours = demo_with("MODE_FAST = 1;", "MODE_FAST = 1;\n    MODE_SLOW = 2;");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("demo.v1.Thing.Mode.MODE_SLOW = 2 does not exist"));
    }

    #[test]
    fn changed_rpc_input_type_is_reported() {
        let ours = demo_with(
            "rpc Get(GetRequest) returns (GetResponse);",
            "rpc Get(GetResponse) returns (GetResponse);",
        );
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("demo.v1.DemoService.Get"));
        assert!(
            mismatches[0]
                .contains("input type demo.v1.GetResponse here, demo.v1.GetRequest upstream")
        );
    }

    #[test]
    fn changed_streaming_is_reported() {
        let ours = demo_with("returns (stream GetResponse)", "returns (GetResponse)");
        let mismatches = compare(&ours, &demo());
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(mismatches[0].contains("server streaming false here, true upstream"));
    }

    #[test]
    fn unknown_rpc_is_reported() {
        let ours = demo_with(
            "rpc Get(GetRequest) returns (GetResponse);",
            "rpc Get(GetRequest) returns (GetResponse);\n  rpc Put(GetRequest) returns (GetResponse);",
        );
        let mismatches = compare(&ours, &demo());
        assert_eq!(
            mismatches,
            vec!["rpc demo.v1.DemoService.Put does not exist upstream".to_owned()]
        );
    }

    #[test]
    fn message_missing_upstream_is_reported() {
        let ours = demo_with(
            "message GetRequest {",
            "message Extra {}\n\nmessage GetRequest {",
        );
        let mismatches = compare(&ours, &demo());
        assert_eq!(
            mismatches,
            vec![
                "message demo.v1.Extra (in demo/v1/demo.proto) does not exist upstream".to_owned()
            ]
        );
    }

    #[test]
    fn message_in_wrong_file_is_reported() {
        let upstream = compile(&[(
            "demo/v1/a.proto",
            "syntax = \"proto3\";\npackage demo.v1;\nmessage Moved { string x = 1; }\n",
        )]);
        let ours = compile(&[(
            "demo/v1/b.proto",
            "syntax = \"proto3\";\npackage demo.v1;\nmessage Moved { string x = 1; }\n",
        )]);
        let mismatches = compare(&ours, &upstream);
        assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
        assert!(
            mismatches[0]
                .contains("defined in demo/v1/b.proto here but in demo/v1/a.proto upstream")
        );
    }

    #[test]
    fn file_names_use_forward_slashes() {
        let root = Path::new("/x/proto");
        let name = file_name(root, &root.join("a").join("b").join("c.proto")).unwrap();
        assert_eq!(name, "a/b/c.proto");
    }
}
