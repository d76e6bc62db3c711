//! Compile-time tests of `#[activity]`: the signatures it accepts, and the errors (pointing
//! at the offending token) for the ones it does not.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
