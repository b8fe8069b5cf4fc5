//! The console-password and access-key actions on their own, against the emulator:
//! `iam.update-access-key` both ways and idempotent, a key the user does not have,
//! `iam.delete-login-profile` idempotent, and `iam.get-login-profile` for a user that
//! does not exist.

use runbook::providers::sandbox::{self, Emulator};
use runbook::providers::{AccessKeyStatus, Iam};

use crate::moto::user;

/// A guide of `body` (action blocks) in a temporary file; returns the file's folder and path.
fn guide(body: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guide.md");
    std::fs::write(&path, format!("# Credentials\n\n## Do it\n\n{body}")).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn update_access_key_sets_the_status_once_and_then_has_nothing_to_do() {
    let admin = user("creds-admin");
    let owner = user("creds-owner");
    let iam = admin.provider();
    let (id, _) = owner.keys();
    let run = |status: &str| {
        let (_dir, path) = guide(&format!(
            "```iam.update-access-key\nuser = \"creds-owner\"\naccess_key_id = \"{id}\"\nstatus = \"{status}\"\n```\n"
        ));
        let state = tempfile::tempdir().unwrap();
        admin.run(&path, state.path(), &["--yes"], &[])
    };
    let status = || iam.list_access_keys("creds-owner").unwrap()[0].status;

    let off = run("Inactive");
    off.assert_code(0);
    assert!(
        off.stdout
            .contains(&format!("{id} of creds-owner is Inactive now")),
        "{}",
        off.stdout
    );
    assert_eq!(status(), AccessKeyStatus::Inactive);
    let again = run("Inactive");
    again.assert_code(0);
    assert!(
        again.stdout.contains(&format!(
            "{id} of creds-owner is Inactive already: nothing to do"
        )),
        "{}",
        again.stdout
    );
    assert_eq!(status(), AccessKeyStatus::Inactive);
    let on = run("Active");
    on.assert_code(0);
    assert!(on.stdout.contains(&format!(
        "$ aws iam update-access-key --user-name creds-owner --access-key-id {id} --status Active"
    )), "{}", on.stdout);
    assert_eq!(status(), AccessKeyStatus::Active);
}

#[test]
fn update_access_key_of_a_key_the_user_does_not_have_fails_and_says_what_to_check() {
    let admin = user("creds-nokey");
    let (_dir, path) = guide(
        "```iam.update-access-key\nuser = \"creds-nokey\"\naccess_key_id = \"KEYIDFORTESTSONLY1\"\nstatus = \"Inactive\"\n```\n",
    );
    let state = tempfile::tempdir().unwrap();
    let output = admin.run(&path, state.path(), &["--yes"], &[]);
    output.assert_code(1);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(
        said.contains("creds-nokey has no access key KEYIDFORTESTSONLY1"),
        "{said}"
    );
    assert!(
        said.contains("aws iam list-access-keys --user-name creds-nokey"),
        "{said}"
    );
    let keys = admin.provider().list_access_keys("creds-nokey").unwrap();
    assert!(
        keys.iter().all(|k| k.status == AccessKeyStatus::Active),
        "{keys:?}"
    );
}

#[test]
fn delete_login_profile_deletes_once_then_has_nothing_to_delete() {
    let admin = user("creds-pw-admin");
    let _owner = user("creds-pw");
    let emulator = Emulator::attach(crate::moto::endpoint()).unwrap();
    sandbox::give_console_password(&emulator, "creds-pw").unwrap();
    let iam = admin.provider();
    assert!(iam.get_login_profile("creds-pw").unwrap().is_some());
    let (_dir, path) = guide(
        "```iam.get-login-profile id=before\nuser = \"creds-pw\"\nexpect = [\"exists\"]\n```\n\n\
         ```iam.delete-login-profile\nuser = \"creds-pw\"\n```\n",
    );
    let first = admin.run(&path, tempfile::tempdir().unwrap().path(), &["--yes"], &[]);
    first.assert_code(0);
    assert!(
        first
            .stdout
            .contains("deleted the console password of creds-pw"),
        "{}",
        first.stdout
    );
    assert_eq!(iam.get_login_profile("creds-pw").unwrap(), None);

    let (_dir, path) = guide("```iam.delete-login-profile\nuser = \"creds-pw\"\n```\n");
    let second = admin.run(&path, tempfile::tempdir().unwrap().path(), &["--yes"], &[]);
    second.assert_code(0);
    assert!(
        second
            .stdout
            .contains("creds-pw has no console password: nothing to delete"),
        "{}",
        second.stdout
    );
}

#[test]
fn get_login_profile_of_a_missing_user_is_an_error_not_no_password() {
    let admin = user("creds-missing");
    let (_dir, path) = guide("```iam.get-login-profile\nuser = \"creds-nobody-at-all\"\n```\n");
    let output = admin.run(&path, tempfile::tempdir().unwrap().path(), &["--yes"], &[]);
    output.assert_code(1);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(said.contains("GetLoginProfile failed"), "{said}");
    assert!(said.contains("cannot be found"), "{said}");
    assert!(!said.contains("has no console password"), "{said}");
}
