//! Resynchronising a virtual MFA device (runbooks/resync-mfa-device.md): a run against an
//! endpoint (as against real AWS) gets the service's own `ResyncMFADevice` answer, never
//! the sandbox's stand-in; the two codes are checked locally as far as possible without
//! the seed; and `runbook test` of the guide leaks no seed or code.

use runbook::providers::Iam;
use runbook::providers::aws::AwsProvider;
use runbook::providers::sandbox;
use runbook::totp;

use crate::harness::{Test, root};
use crate::moto::{own_emulator, user};
use crate::secrets::{assert_no_leak, files, seed_needles};

const GUIDE: &str = "runbooks/resync-mfa-device.md";

/// Against an endpoint that lacks ResyncMFADevice (moto, standing in for an AWS that
/// fails), the run reports the endpoint's answer: no stand-in answers in its place, since
/// only the sandbox and `runbook test` have one. On the way, codes that are not 6 digits,
/// or the same code twice, are refused before AWS sees them.
#[test]
fn a_run_against_an_endpoint_never_gets_the_stand_in_and_codes_are_checked_locally() {
    let user = user("resync-real");
    let aws = user.provider();
    let device = aws
        .create_virtual_mfa_device("resync-real-phone", None)
        .unwrap();
    let seed = totp::parse_seed(device.seed.expose()).unwrap();
    let (code1, code2) = seed.consecutive_codes(1_704_067_200);
    aws.enable_mfa_device(&user.name, &device.serial_number, &code1, &code2)
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    // Enter (the device listed), Enter (the clock is checked), then three tries at the
    // codes: one too short, the same code twice, and two different codes; then yes.
    let answers = "\n\n12345\n123456\n314159\n314159\n314159\n271828\ny\n";
    let output = user.run_as_is(
        GUIDE,
        state.path(),
        &[],
        &[
            ("RUNBOOK_ANSWERS", answers),
            ("RUNBOOK_FAKE_CLOCK", "1704067200"),
        ],
    );
    output.assert_code(1);
    let text = format!("{}{}", output.stdout, output.stderr);
    for wanted in [
        "code 1: a code is 6 digits",
        "code 1 and code 2 are the same",
        "two codes, checked as far as possible without the seed",
        &format!("resynchronise {} for {}", device.serial_number, user.name),
        "ResyncMFADevice failed: the service does not implement this call",
    ] {
        assert!(text.contains(wanted), "no `{wanted}` in:\n{text}");
    }
    assert!(!text.contains("[sandbox stand-in"), "{text}");
    assert!(
        !text.contains("314159") && !text.contains("271828"),
        "{text}"
    );
}

/// `runbook test` of the guide (its drifted, wrong-codes and no-device scenarios) writing
/// its transcripts and plan, and the guide rendered: no seed and no code anywhere,
/// although the stand-in checked codes against the seed.
#[test]
fn the_resync_guide_leaks_no_seed_or_code() {
    let scratch = tempfile::tempdir().unwrap();
    let emulator = own_emulator(scratch.path());
    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in ["resync-mfa-device.md", "resync-mfa-device.test.toml"] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "resync-mfa-device.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", emulator.endpoint())
        .env_remove("CI")
        .run();
    test.assert_code(0);
    let drifted =
        std::fs::read_to_string(tested.join("resync-mfa-device.drifted.transcript")).unwrap();
    assert!(
        drifted.contains("→ ok [sandbox stand-in: moto has no ResyncMFADevice]"),
        "{drifted}"
    );
    // The committed snapshots are what this run wrote.
    for scenario in ["drifted", "wrong-codes", "no-device"] {
        let name = format!("resync-mfa-device.{scenario}.transcript");
        assert_eq!(
            std::fs::read_to_string(tested.join(&name)).unwrap(),
            std::fs::read_to_string(root().join("runbooks").join(&name)).unwrap(),
            "{name}"
        );
    }
    let mut haystacks = vec![
        ("runbook test stdout".to_string(), test.stdout.into_bytes()),
        ("runbook test stderr".to_string(), test.stderr.into_bytes()),
    ];
    let out = scratch.path().join("render");
    Test::new()
        .current_dir(root())
        .args(["render", GUIDE, "--out", out.to_str().unwrap()])
        .run()
        .assert_code(0);
    files(&tested, &mut haystacks);
    files(&out, &mut haystacks);
    let lister = sandbox::create_user(&emulator, "leak-resync-lister").unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &lister));
    let seeds: Vec<String> = aws
        .run(aws.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .iter()
        .filter_map(|d| d.base32_string_seed())
        .map(|blob| String::from_utf8(blob.as_ref().to_vec()).unwrap())
        .collect();
    assert!(
        !seeds.is_empty(),
        "the scenarios' devices are on the emulator"
    );
    let test_clock: u64 = 1_704_067_200; // `clock` in runbooks/resync-mfa-device.test.toml
    let mut needles = Vec::new();
    let mut codes = Vec::new();
    for seed_text in &seeds {
        needles.extend(seed_needles(seed_text));
        let seed = totp::parse_seed(seed_text).unwrap();
        // The phone runs 120 s ahead in the drifted scenario: its codes too.
        codes.extend((0..16).map(|n| seed.code_at(test_clock - 90 + n * 30).expose().to_string()));
    }
    assert_no_leak(&haystacks, &needles, &codes);
}

/// Unattended, nobody can type the codes and the run has no seed to compute them from:
/// it stops before resynchronising anything, and says how to run it instead. (The whole
/// guide, unattended, stops one step earlier, at the manual check of the phone's clock.)
#[test]
fn an_unattended_run_has_no_codes_and_changes_nothing() {
    let user = user("resync-unattended");
    let aws = user.provider();
    let device = aws
        .create_virtual_mfa_device("resync-unattended-phone", None)
        .unwrap();
    let seed = totp::parse_seed(device.seed.expose()).unwrap();
    let (code1, code2) = seed.consecutive_codes(1_704_067_200);
    aws.enable_mfa_device(&user.name, &device.serial_number, &code1, &code2)
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let whole = user.run_as_is(GUIDE, state.path(), &["--yes"], &[]);
    whole.assert_code(1);
    let said = format!("{}{}", whole.stdout, whole.stderr);
    assert!(
        said.contains("step `check-the-phones-clock` is manual"),
        "{said}"
    );
    let output = user.run_as_is(
        GUIDE,
        state.path(),
        &["--yes", "--only", "enter-two-consecutive-codes"],
        &[],
    );
    output.assert_code(1);
    let text = format!("{}{}", output.stdout, output.stderr);
    for wanted in [
        "no codes: an unattended run computes codes from the seed, and this run has none",
        "type two consecutive codes from the app",
    ] {
        assert!(text.contains(wanted), "no `{wanted}` in:\n{text}");
    }
    assert!(!text.contains("ResyncMFADevice"), "{text}");
}
