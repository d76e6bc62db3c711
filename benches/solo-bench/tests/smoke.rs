//! The benchmark harness cannot rot: `cargo test` runs the whole suite at smoke sizes (a few
//! dozen activities, its own dev server) and checks that every scenario reported a line, with
//! the Python SDK's echo peer beside raw and solo when the project venv has it.
//! The figures themselves are not checked — at these sizes they mean nothing — except that
//! solo's faults run (20 activities through connection resets and a 2 s outage) completes
//! every activity with no error.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[test]
fn the_suite_runs_every_scenario_at_smoke_size() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root");
    let out_dir = std::env::temp_dir().join(format!("solo-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).expect("creating the report directory");
    let report_path = out_dir.join("BENCHMARKS.md");
    // The Python SDK's echo peer joins raw and solo when the project venv has it (the official
    // Rust SDK's peer is never built here: only `cargo xtask bench --peers` builds it).
    let python = std::env::var_os("SOLO_PYTHON")
        .filter(|v| !v.is_empty())
        .is_some()
        || solo_testing::cli::tools_venv()
            .join("bin")
            .join("python")
            .is_file();
    let output = Command::new(env!("CARGO_BIN_EXE_solo-bench"))
        .args(["--mode", "suite", "--smoke", "--workspace"])
        .arg(workspace)
        .args([
            "--sdks",
            if python {
                "raw,solo,python"
            } else {
                "raw,solo"
            },
        ])
        .arg("--write")
        .arg(&report_path)
        .output()
        .expect("running solo-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "solo-bench --mode suite --smoke failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let count = |scenario: &str| lines.iter().filter(|l| l["scenario"] == scenario).count();
    let sdks: Vec<String> = lines
        .iter()
        .filter(|l| l["scenario"] == "echo")
        .filter_map(|l| l["sdk"].as_str().map(str::to_owned))
        .collect();
    // Both the baseline and solo itself: a suite that measured only one side compares nothing.
    for scenario in ["echo", "inflight", "list"] {
        for sdk in ["raw", "solo"] {
            assert!(
                lines
                    .iter()
                    .any(|l| l["scenario"] == scenario && l["sdk"] == sdk),
                "no {sdk} line for {scenario}:\n{stdout}"
            );
        }
    }
    let mut distinct = sdks.clone();
    distinct.sort();
    distinct.dedup();
    let expected: &[&str] = if python {
        &["python", "raw", "solo"]
    } else {
        &["raw", "solo"]
    };
    assert_eq!(distinct, expected, "{stdout}");
    // Two concurrency levels per SDK at smoke size; the Python peer runs only the echo scenario.
    assert_eq!(count("echo"), 2 * distinct.len(), "{stdout}");
    assert_eq!(count("inflight"), 2, "{stdout}");
    assert_eq!(count("list"), 2, "{stdout}");
    if python {
        for c in [1, 4] {
            let row = lines
                .iter()
                .find(|l| l["scenario"] == "echo" && l["sdk"] == "python" && l["concurrency"] == c)
                .unwrap_or_else(|| panic!("no python echo line at C={c}:\n{stdout}"));
            // Every activity of the run completed, through the Python worker.
            assert_eq!(row["completed"], 20, "{row}");
            assert!(row["worker_completed"].as_u64() >= Some(20), "{row}");
            assert!(
                stdout.contains(&format!("| {c} | python | ")),
                "no python row at C={c} in the echo table:\n{stdout}"
            );
        }
        let version = lines
            .iter()
            .find(|l| l["scenario"] == "peer" && l["sdk"] == "python")
            .unwrap_or_else(|| panic!("no python peer line:\n{stdout}"));
        assert!(
            version["version"]
                .as_str()
                .is_some_and(|v| v.starts_with("temporalio ")),
            "{version}"
        );
        assert!(
            stdout.contains("### Every SDK against the raw baseline"),
            "no peers table:\n{stdout}"
        );
    }
    assert_eq!(count("footprint"), 1, "{stdout}");
    // The faults scenario: solo always, the Python SDK when the project venv has it.
    let faults = |sdk: &str| {
        lines
            .iter()
            .find(|l| l["scenario"] == "faults" && l["sdk"] == sdk)
            .cloned()
    };
    let solo_faults = faults("solo").unwrap_or_else(|| panic!("no solo faults line:\n{stdout}"));
    for key in ["n", "completed", "errors", "wall_s", "connections_reset"] {
        assert!(
            !solo_faults[key].is_null(),
            "`{key}` missing in {solo_faults}"
        );
    }
    assert_eq!(solo_faults["errors"], 0, "{solo_faults}");
    assert_eq!(solo_faults["completed"], solo_faults["n"], "{solo_faults}");
    if python {
        let python_faults =
            faults("python").unwrap_or_else(|| panic!("no python faults line:\n{stdout}"));
        assert!(!python_faults["completed"].is_null(), "{python_faults}");
    }
    assert!(stdout.contains("### Faults"), "no faults table:\n{stdout}");
    // The C ABI: the worker driven through solo-ffi next to the native one, at both
    // concurrency levels, every activity served; and the round trips of the leak check.
    for sdk in ["solo", "ffi"] {
        let ffi_echo: Vec<&Value> = lines
            .iter()
            .filter(|l| l["scenario"] == "ffi-echo" && l["sdk"] == sdk)
            .collect();
        assert_eq!(ffi_echo.len(), 2, "{sdk} ffi-echo lines:\n{stdout}");
        for line in ffi_echo {
            assert_eq!(line["errors"], 0, "{line}");
            assert!(!line["worker_cpu_ms_per_act"].is_null(), "{line}");
        }
    }
    let leak = lines
        .iter()
        .find(|l| l["scenario"] == "ffi-leak")
        .unwrap_or_else(|| panic!("no ffi-leak line:\n{stdout}"));
    assert_eq!(leak["completed"], leak["n"], "{leak}");
    assert!(
        stdout.contains("### The C ABI"),
        "no C ABI table:\n{stdout}"
    );
    assert_eq!(count("error"), 0, "{stdout}");
    for line in lines.iter().filter(|l| l["scenario"] == "echo") {
        for key in [
            "sdk",
            "n",
            "concurrency",
            "wall_s",
            "acts_per_s",
            "client_cpu_s",
            "worker_cpu_s",
            "p50_ms",
            "p99_ms",
            "p999_ms",
        ] {
            assert!(!line[key].is_null(), "`{key}` missing in {line}");
        }
        assert_eq!(line["errors"], 0, "{line}");
        // solo's and raw's own processes count their allocations over the measured steps.
        if line["sdk"] == "solo" || line["sdk"] == "raw" {
            for key in ["client_allocs_per_act", "worker_allocs_per_act"] {
                assert!(
                    line[key].as_f64() > Some(0.0),
                    "`{key}` not counted in {line}"
                );
            }
        }
    }
    assert!(stdout.contains("### Targets"), "no table:\n{stdout}");

    // --write: the report names the chart beside it, and the chart has a bar for every SDK at
    // every concurrency in both panels (CPU and p99), each with its tooltip.
    let report = std::fs::read_to_string(&report_path).expect("the written report");
    assert!(report.contains("](BENCHMARKS-echo.svg)"), "{report}");
    let svg = std::fs::read_to_string(out_dir.join("BENCHMARKS-echo.svg")).expect("the chart");
    for sdk in &sdks {
        for c in [1, 4] {
            assert_eq!(
                svg.matches(&format!("<title>{sdk} C={c}:")).count(),
                2,
                "{sdk} at C={c} in {svg}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
