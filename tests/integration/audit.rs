//! The account audit (runbooks/audit-account.md) and its read-only IAM actions:
//! `iam.list-users` and the credential report, on the emulator (whose report moto makes)
//! and, through aws-smithy-mocks, on a report in the format real AWS writes (with the
//! root user's row, which the emulator lacks), and the errors the emulator cannot produce.

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportOutput;
use aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput;
use aws_sdk_iam::operation::get_credential_report::GetCredentialReportOutput;
use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
use aws_sdk_iam::operation::list_users::ListUsersOutput;
use aws_sdk_iam::primitives::{Blob, DateTime};
use aws_sdk_iam::types::{MfaDevice, ReportStateType, SummaryKeyType, User};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use runbook::bind::check::check_source;
use runbook::parse::source::Source;
use runbook::providers::aws::AwsProvider;
use runbook::providers::credential_report;
use runbook::providers::sandbox::{self, Emulator};
use runbook::providers::security_key::NoKeys;
use runbook::providers::{FixedClock, Iam, ReportState, ScriptedPrompt, Sts};
use runbook::run::context::{JournalHandle, Mode, RunError};
use runbook::run::executor::{Executor, Finish, Selection};
use runbook::run::journal::Journal;
use runbook::run::ui::{OutputMode, Ui};
use runbook::secret::Secret;

use crate::harness::root;
use crate::moto::{endpoint, user};

const ACCOUNT: &str = "123456789012";

/// moto's own report: made on request, one typed record per user, with what the
/// emulator knows (a password, access keys, any MFA device).
#[test]
fn the_emulators_report_becomes_typed_records() {
    let auditor = user("audit-report");
    let aws = auditor.provider();
    let emulator = Emulator::attach(endpoint()).unwrap();
    sandbox::create_other_user(&emulator, "audit-report-console", true).unwrap();
    let account = aws.get_caller_identity().unwrap().account;
    let key = format!("arn:aws:iam::{account}:u2f/user/audit-report-console/key");
    let unused = Secret::new("000000");
    aws.enable_mfa_device("audit-report-console", &key, &unused, &unused)
        .unwrap();

    let mut state = aws.generate_credential_report().unwrap();
    for _ in 0..5 {
        if state == ReportState::Complete {
            break;
        }
        state = aws.generate_credential_report().unwrap();
    }
    assert_eq!(state, ReportState::Complete);
    let report = aws.get_credential_report().unwrap();
    assert!(!report.generated_time.is_empty());
    let rows = credential_report::parse(&report.content).unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.user == name)
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
    };
    let auditor_row = row("audit-report");
    assert!(!auditor_row.password_enabled);
    assert!(!auditor_row.mfa_active);
    assert_eq!(auditor_row.active_access_keys(), 1);
    assert_eq!(
        auditor_row.password_last_used, "",
        "moto writes not_supported"
    );
    let console = row("audit-report-console");
    assert!(console.password_enabled);
    assert!(console.mfa_active, "a security key counts as MFA");
    assert_eq!(console.active_access_keys(), 0);
    assert!(console.arn.ends_with(":user/audit-report-console"));
    assert!(
        !rows.iter().any(|r| r.is_root()),
        "moto's report has no root row"
    );
}

#[test]
fn list_users_reads_every_user_and_honours_the_path_prefix() {
    let auditor = user("audit-list");
    let aws = auditor.provider();
    let emulator = Emulator::attach(endpoint()).unwrap();
    sandbox::create_other_user(&emulator, "audit-list-other", false).unwrap();
    let names: Vec<String> = aws
        .list_users(None)
        .unwrap()
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert!(names.contains(&"audit-list".to_string()), "{names:?}");
    assert!(names.contains(&"audit-list-other".to_string()), "{names:?}");
    assert_eq!(aws.list_users(Some("/nobody-here/")).unwrap(), vec![]);
}

fn iam_client(rules: &[&Rule]) -> aws_sdk_iam::Client {
    mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn sts_client(rules: &[&Rule]) -> aws_sdk_sts::Client {
    mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn iam_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
}

fn caller() -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account(ACCOUNT)
            .arn(format!("arn:aws:iam::{ACCOUNT}:user/auditor"))
            .user_id("AIDAAUDITOR")
            .build()
    })
}

fn iam_user(name: &str) -> User {
    User::builder()
        .user_name(name)
        .path("/")
        .user_id(format!("AIDA{}", name.to_uppercase()))
        .arn(format!("arn:aws:iam::{ACCOUNT}:user/{name}"))
        .create_date(DateTime::from_secs(1_600_000_000))
        .build()
        .unwrap()
}

fn devices(serials: &[String]) -> ListMfaDevicesOutput {
    ListMfaDevicesOutput::builder()
        .set_mfa_devices(Some(
            serials
                .iter()
                .map(|serial| {
                    MfaDevice::builder()
                        .user_name("x")
                        .serial_number(serial)
                        .enable_date(DateTime::from_secs(1_700_000_000))
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap()
}

/// The guide, in process, in JSON mode: how it ended and what it printed.
fn run_guide(provider: &AwsProvider) -> (Result<Finish, RunError>, String) {
    run_guide_as(provider, OutputMode::Json)
}

fn run_guide_as(provider: &AwsProvider, output: OutputMode) -> (Result<Finish, RunError>, String) {
    let text = std::fs::read_to_string(root().join("runbooks/audit-account.md")).unwrap();
    let checked = check_source(Source::new("audit-account.md", &text));
    let runbook = checked.runbook.as_ref().expect("the guide checks");
    let mut ui = Ui::capturing(output);
    let clock = FixedClock::new(1_714_650_000);
    let mut prompt = ScriptedPrompt::default();
    let mut executor = Executor {
        runbook,
        source: checked.source.as_ref().unwrap(),
        iam: provider,
        sts: provider,
        clock: &clock,
        keys: &NoKeys,
        prompt: &mut prompt,
        ui: &mut ui,
        mode: Mode {
            yes: true,
            ..Mode::default()
        },
        selection: Selection::default(),
        journal: JournalHandle {
            journal: Journal::new("audit-account.md", "hash", "test"),
            file: None,
            last_code_window: None,
            key: None,
            deactivations_shown: Default::default(),
        },
    };
    let result = executor.run();
    (result, ui.captured())
}

fn events(output: &str, kind: &str) -> Vec<serde_json::Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["event"] == kind)
        .collect()
}

/// The mocked calls of an AWS account: the captured report (root without MFA, alice with
/// a phone and a key, bob with a console password and no MFA, ci-deploy with keys only),
/// and `ListUsers` with dana too, created since the report.
struct Account {
    generate: Rule,
    get: Rule,
    users: Rule,
    alice: Rule,
    bob: Rule,
    summary: Rule,
    caller: Rule,
}

impl Account {
    fn new() -> Account {
        let report =
            std::fs::read_to_string(root().join("tests/fixtures/credential-report/aws.csv"))
                .unwrap();
        let generate = mock!(aws_sdk_iam::Client::generate_credential_report)
            .sequence()
            .output(|| {
                GenerateCredentialReportOutput::builder()
                    .state(ReportStateType::Started)
                    .build()
            })
            .output(|| {
                GenerateCredentialReportOutput::builder()
                    .state(ReportStateType::Inprogress)
                    .build()
            })
            .output(|| {
                GenerateCredentialReportOutput::builder()
                    .state(ReportStateType::Complete)
                    .build()
            })
            .build();
        let get = mock!(aws_sdk_iam::Client::get_credential_report).then_output(move || {
            GetCredentialReportOutput::builder()
                .content(Blob::new(report.clone()))
                .generated_time(DateTime::from_secs(1_714_640_000))
                .build()
        });
        let users = mock!(aws_sdk_iam::Client::list_users).then_output(|| {
            ListUsersOutput::builder()
                .set_users(Some(
                    ["alice", "bob", "ci-deploy", "dana"]
                        .into_iter()
                        .map(iam_user)
                        .collect(),
                ))
                .build()
                .unwrap()
        });
        let alice = mock!(aws_sdk_iam::Client::list_mfa_devices)
            .match_requests(|r| r.user_name() == Some("alice"))
            .then_output(|| {
                devices(&[
                    format!("arn:aws:iam::{ACCOUNT}:mfa/alice-phone"),
                    format!("arn:aws:iam::{ACCOUNT}:u2f/user/alice/yubikey-AB12"),
                ])
            });
        let bob = mock!(aws_sdk_iam::Client::list_mfa_devices)
            .match_requests(|r| r.user_name() == Some("bob"))
            .then_output(|| devices(&[]));
        let summary = mock!(aws_sdk_iam::Client::get_account_summary).then_output(|| {
            GetAccountSummaryOutput::builder()
                .summary_map(SummaryKeyType::AccountMfaEnabled, 0)
                .summary_map(SummaryKeyType::MfaDevices, 2)
                .summary_map(SummaryKeyType::MfaDevicesInUse, 2)
                .build()
        });
        let caller = caller();
        Account {
            generate,
            get,
            users,
            alice,
            bob,
            summary,
            caller,
        }
    }

    fn provider(&self) -> AwsProvider {
        AwsProvider::from_clients(
            iam_client(&[
                &self.generate,
                &self.get,
                &self.users,
                &self.alice,
                &self.bob,
                &self.summary,
            ]),
            sts_client(&[&self.caller]),
        )
    }
}

/// An AWS-format report (captured: root row, `not_supported`, `N/A`, `no_information`)
/// with a root user without MFA, a console user without MFA, a compliant one, and a
/// user created after the report: each gap is a `finding` event, the run goes on to the
/// end and finishes with `findings`.
#[test]
fn an_aws_report_with_root_and_gaps_gives_each_finding() {
    let account = Account::new();
    let provider = account.provider();
    let Account {
        generate,
        alice,
        bob,
        summary,
        ..
    } = &account;
    let (result, output) = run_guide(&provider);
    assert_eq!(result.unwrap(), Finish::Findings, "{output}");
    assert_eq!(generate.num_calls(), 3, "polled until COMPLETE");
    assert_eq!(alice.num_calls(), 1);
    assert_eq!(bob.num_calls(), 1);
    assert_eq!(summary.num_calls(), 1, "the root step ran");
    let found: Vec<String> = events(&output, "finding")
        .iter()
        .map(|event| event["finding"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("the credential report is out of date"),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "bob signs in to the console with a password and has no MFA"
    );
    assert_eq!(found[2], "the root user has no MFA");
    let finished = events(&output, "run_finished");
    assert_eq!(finished.len(), 1, "{output}");
    assert_eq!(finished[0]["status"], "findings");
    assert_eq!(finished[0]["findings"].as_array().unwrap().len(), 3);
    // ci-deploy has no console password: its devices were never read.
    assert!(!output.contains("ci-deploy has"), "{output}");
}

/// In the terminal, the run ends with the findings as a table: one row each, with the
/// action and the values it saw.
#[test]
fn the_findings_end_the_run_as_a_table() {
    let account = Account::new();
    let (result, output) = run_guide_as(&account.provider(), OutputMode::Human);
    assert_eq!(result.unwrap(), Finish::Findings, "{output}");
    let end = output.find("Finished with 3 finding(s):").expect(&output);
    let table: Vec<&str> = output[end..].lines().skip(1).take(5).collect();
    assert!(table[0].trim_start().starts_with("finding"), "{table:#?}");
    for column in ["action", "check", "values"] {
        assert!(table[0].contains(column), "{table:#?}");
    }
    assert!(table[1].trim_start().starts_with('─'), "{table:#?}");
    assert!(
        table[2].contains("the credential report is out of date"),
        "{table:#?}"
    );
    assert!(table[2].contains("iam.list-users users"), "{table:#?}");
    assert!(table[3].contains("bob signs in to the console with a password and has no MFA"));
    assert!(
        table[3].contains("iam.list-mfa-devices console_mfa"),
        "{table:#?}"
    );
    assert!(table[3].contains("console_mfa[2]: count = 0"), "{table:#?}");
    assert!(table[4].contains("the root user has no MFA"), "{table:#?}");
    assert!(
        table[4].contains("account_mfa_enabled = false"),
        "{table:#?}"
    );
    // The columns line up: each row's action column starts where the header's does.
    let at = table[0].chars().position(|c| c == 'a').unwrap();
    for row in &table[2..] {
        let column: String = row.chars().skip(at).take(4).collect();
        assert_eq!(column, "iam.", "{table:#?}");
    }
}

/// The run's error when `rule` answers a call with an error (with `generate_ok`, the
/// report is ready at once; `extra` answers other calls); and how often `rule` was called.
fn report_error(rule: Rule, generate_ok: bool, extra: &[&Rule]) -> (RunError, usize) {
    let generate = mock!(aws_sdk_iam::Client::generate_credential_report).then_output(|| {
        GenerateCredentialReportOutput::builder()
            .state(ReportStateType::Complete)
            .build()
    });
    let caller = caller();
    let mut rules: Vec<&Rule> = vec![&rule];
    rules.extend_from_slice(extra);
    if generate_ok {
        rules.push(&generate);
    }
    let provider = AwsProvider::from_clients(iam_client(&rules), sts_client(&[&caller]));
    let (result, _) = run_guide(&provider);
    (result.unwrap_err(), rule.num_calls())
}

#[test]
fn a_missing_report_says_to_generate_one() {
    let (error, calls) = report_error(
        {
            mock!(aws_sdk_iam::Client::get_credential_report)
                .sequence()
                .http_status(
                    410,
                    Some(iam_error(
                        "ReportNotPresent",
                        "Credential report not present",
                    )),
                )
                .build()
        },
        true,
        &[],
    );
    assert_eq!(calls, 1);
    assert!(
        error
            .to_string()
            .starts_with("GetCredentialReport failed: no credential report has been generated yet"),
        "{error}"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("iam.generate-credential-report")
    );
}

#[test]
fn an_expired_report_says_to_generate_a_new_one() {
    let (error, _) = report_error(
        {
            mock!(aws_sdk_iam::Client::get_credential_report)
                .sequence()
                .http_status(
                    410,
                    Some(iam_error("ReportExpired", "The report has expired")),
                )
                .build()
        },
        true,
        &[],
    );
    assert!(
        error.to_string().contains("more than 4 hours old"),
        "{error}"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("generate-credential-report")
    );
}

#[test]
fn a_report_in_progress_says_to_wait() {
    let (error, _) = report_error(
        {
            mock!(aws_sdk_iam::Client::get_credential_report)
                .sequence()
                .http_status(
                    404,
                    Some(iam_error("ReportInProgress", "Report in progress")),
                )
                .build()
        },
        true,
        &[],
    );
    assert!(
        error.to_string().contains("still being generated"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("wait a minute"));
}

#[test]
fn too_many_report_requests_say_to_wait() {
    let (error, calls) = report_error(
        {
            mock!(aws_sdk_iam::Client::generate_credential_report)
                .sequence()
                .http_status(409, Some(iam_error("LimitExceeded", "Too many requests")))
                .build()
        },
        false,
        &[],
    );
    assert_eq!(calls, 1);
    assert!(
        error
            .to_string()
            .contains("as many credential reports as it allows"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("wait a minute"));
}

#[test]
fn a_service_failure_says_to_run_again() {
    let (error, _) = report_error(
        {
            mock!(aws_sdk_iam::Client::generate_credential_report)
                .sequence()
                .http_status(500, Some(iam_error("ServiceFailure", "Internal failure")))
                .build()
        },
        false,
        &[],
    );
    assert!(error.to_string().contains("IAM failed"), "{error}");
    assert!(error.next_step().unwrap().contains("run again"));
}

#[test]
fn a_report_that_never_completes_fails_within_the_timeout() {
    let (error, calls) = report_error(
        {
            mock!(aws_sdk_iam::Client::generate_credential_report)
                .sequence()
                .output(|| {
                    GenerateCredentialReportOutput::builder()
                        .state(ReportStateType::Inprogress)
                        .build()
                })
                .repeatedly()
                .build()
        },
        false,
        &[],
    );
    assert!(error.to_string().contains("within 120 s"), "{error}");
    // Every 2 s over 120 s of the fixed clock: the first call and one per poll.
    assert_eq!(calls, 61);
}

#[test]
fn access_denied_on_list_users_names_the_read_permissions() {
    let report =
        std::fs::read_to_string(root().join("tests/fixtures/credential-report/aws.csv")).unwrap();
    let get = mock!(aws_sdk_iam::Client::get_credential_report).then_output(move || {
        GetCredentialReportOutput::builder()
            .content(Blob::new(report.clone()))
            .build()
    });
    let (error, _) = report_error(
        {
            mock!(aws_sdk_iam::Client::list_users)
                .sequence()
                .http_status(
                    403,
                    Some(iam_error(
                        "AccessDenied",
                        "not authorized to perform iam:ListUsers",
                    )),
                )
                .build()
        },
        true,
        &[&get],
    );
    assert!(
        error
            .to_string()
            .starts_with("ListUsers failed: access denied"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("SecurityAudit"));
}

/// `ListUsers` answers in pages (`IsTruncated` and `Marker`); every page is read, in
/// order, the second asked for with the first one's marker.
#[test]
fn list_users_reads_every_page() {
    let first = mock!(aws_sdk_iam::Client::list_users)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListUsersOutput::builder()
                .set_users(Some(vec![iam_user("alice"), iam_user("bob")]))
                .is_truncated(true)
                .marker("page-2")
                .build()
                .unwrap()
        });
    let second = mock!(aws_sdk_iam::Client::list_users)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(|| {
            ListUsersOutput::builder()
                .set_users(Some(vec![iam_user("carol")]))
                .is_truncated(false)
                .build()
                .unwrap()
        });
    let caller = caller();
    let provider =
        AwsProvider::from_clients(iam_client(&[&first, &second]), sts_client(&[&caller]));
    let users = provider.list_users(None).unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(users[2].arn, format!("arn:aws:iam::{ACCOUNT}:user/carol"));
    assert_eq!(users[0].password_last_used, None);
}
