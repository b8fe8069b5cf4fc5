//! The FIDO actions' error messages, through a scripted fake key (no hardware needed):
//! no key, a key plugged in late, several keys, a key removed mid-operation, PIN
//! required / wrong / blocked, no touch, an unsupported key.

use std::cell::{Cell, RefCell};

use runbook::providers::aws::{AwsOptions, AwsProvider};
use runbook::providers::security_key::{
    Assertion, Credential, KeyDescriptor, KeyError, KeyInfo, SecurityKeys,
};
use runbook::providers::{Clock, FixedClock, ScriptedPrompt};
use runbook::run::context::{Mode, RunError};
use runbook::run::executor::Selection;
use runbook::secret::Secret;

use crate::inprocess::{Ran, run_with_keys};

const KEY_STEPS: &str = "# Key

## Plug it in

```fido.wait-for-key id=key
timeout_seconds = 5
```

```fido.key-info id=info
```

## Test it

```fido.self-test id=test
expect = [\"verified\"]
```
";

/// A fake key: which keys are plugged in (from the n-th `list` call on), what `info`
/// says, and what `make_credential` answers, in order.
struct Keys {
    plugged_from: usize,
    keys: Vec<KeyDescriptor>,
    info: KeyInfo,
    make: RefCell<Vec<KeyError>>,
    lists: Cell<usize>,
    makes: Cell<usize>,
    pins: RefCell<Vec<String>>,
}

fn key(n: usize) -> KeyDescriptor {
    KeyDescriptor {
        path: format!("/dev/hidraw{n}"),
        product: format!("Test Key {n}"),
    }
}

fn keys(make: Vec<KeyError>) -> Keys {
    Keys {
        plugged_from: 1,
        keys: vec![key(0)],
        info: KeyInfo {
            aaguid: "ee882879-721c-4913-9775-3dfcce97072a".into(),
            versions: vec!["FIDO_2_0".into(), "U2F_V2".into()],
            pin_set: false,
            pin_retries: None,
        },
        make: RefCell::new(make),
        lists: Cell::new(0),
        makes: Cell::new(0),
        pins: RefCell::new(Vec::new()),
    }
}

impl SecurityKeys for Keys {
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        self.lists.set(self.lists.get() + 1);
        Ok(if self.lists.get() >= self.plugged_from {
            self.keys.clone()
        } else {
            Vec::new()
        })
    }

    fn info(&self, _: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        Ok(self.info.clone())
    }

    fn wink(&self, _: &KeyDescriptor) -> Result<(), KeyError> {
        Ok(())
    }

    fn make_credential(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        pin: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        self.makes.set(self.makes.get() + 1);
        if let Some(pin) = pin {
            self.pins.borrow_mut().push(pin.expose().to_string());
        }
        let mut answers = self.make.borrow_mut();
        if answers.is_empty() {
            return Err(KeyError::Other("the fake has no more answers".into()));
        }
        Err(answers.remove(0))
    }

    fn get_assertion(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        _: &[u8],
        _: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        Err(KeyError::Other("not reached".into()))
    }
}

fn run(keys: &Keys, prompt: &mut ScriptedPrompt, mode: Mode, clock: &FixedClock) -> Ran {
    // These steps never call AWS: a provider pointed at a closed port proves it.
    let provider = AwsProvider::connect(&AwsOptions {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        credentials: Some(("AKIDNOTUSED".into(), Secret::new("not used"))),
        region: Some("us-east-1".into()),
        max_attempts: Some(1),
        ..AwsOptions::default()
    });
    run_with_keys(
        KEY_STEPS,
        &provider,
        &provider,
        clock,
        keys,
        prompt,
        mode,
        Selection::default(),
    )
}

fn unattended() -> Mode {
    Mode {
        yes: true,
        ..Mode::default()
    }
}

fn error(ran: Ran) -> RunError {
    match ran.result {
        Err(error) => error,
        Ok(()) => panic!("expected a failure:\n{}", ran.output),
    }
}

#[test]
fn no_key_says_so_waits_and_times_out() {
    let mut fake = keys(vec![]);
    fake.plugged_from = usize::MAX;
    let clock = FixedClock::new(1_700_000_000);
    let ran = run(&fake, &mut ScriptedPrompt::default(), unattended(), &clock);
    assert!(
        ran.output
            .contains("Insert your security key into a USB port."),
        "{}",
        ran.output
    );
    let error = error(ran);
    assert_eq!(
        error.to_string(),
        "no security key found: plug one into a USB port"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("the run resumes at this step")
    );
    assert_eq!(clock.now() - 1_700_000_000, 5, "waited the whole timeout");
    assert_eq!(fake.lists.get(), 6, "polled once a second");
}

#[test]
fn a_key_plugged_in_while_waiting_is_found() {
    let mut fake = keys(vec![KeyError::TouchTimeout]);
    fake.plugged_from = 3;
    let clock = FixedClock::new(1_700_000_000);
    let ran = run(&fake, &mut ScriptedPrompt::default(), unattended(), &clock);
    assert!(
        ran.output
            .contains("fido.wait-for-key key: found Test Key 0 at /dev/hidraw0"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("YubiKey 5 Series: FIDO_2_0, U2F_V2; no PIN set"),
        "{}",
        ran.output
    );
    assert_eq!(clock.now() - 1_700_000_000, 2);
    // Then no touch during the self-test.
    let error = error(ran);
    assert_eq!(
        error.to_string(),
        "no touch: touch the key's button or gold disc when it blinks"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("touch the key when it blinks")
    );
}

#[test]
fn with_several_keys_a_person_chooses() {
    let mut fake = keys(vec![KeyError::Removed]);
    fake.keys = vec![key(0), key(1)];
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::new(["7", "2"]);
    let ran = run(&fake, &mut prompt, Mode::default(), &clock);
    assert!(
        ran.output.contains("answer a number from 1 to 2"),
        "{}",
        ran.output
    );
    assert!(
        ran.output.contains("found Test Key 1 at /dev/hidraw1"),
        "{}",
        ran.output
    );
    assert_eq!(prompt.asked, ["Which key? (number)", "Which key? (number)"]);
    // The key is pulled out during the self-test.
    let error = error(ran);
    assert_eq!(
        error.to_string(),
        "the security key was removed during the operation: plug it in again"
    );
}

#[test]
fn a_pin_is_required_but_nobody_can_type_it() {
    let fake = keys(vec![KeyError::PinRequired]);
    let clock = FixedClock::new(1_700_000_000);
    let error = error(run(
        &fake,
        &mut ScriptedPrompt::default(),
        unattended(),
        &clock,
    ));
    assert_eq!(error.to_string(), "this security key needs its PIN");
    assert!(error.next_step().unwrap().contains("enter the key's PIN"));
}

#[test]
fn a_wrong_pin_is_asked_again_with_the_attempts_left() {
    let mut fake = keys(vec![
        KeyError::WrongPin { retries: 2 },
        KeyError::Unsupported("ES256".into()),
    ]);
    fake.info.pin_set = true;
    fake.info.pin_retries = Some(3);
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::new(["1111", "2222"]);
    let ran = run(&fake, &mut prompt, Mode::default(), &clock);
    assert!(
        ran.output.contains("wrong PIN, 2 attempts left"),
        "{}",
        ran.output
    );
    assert_eq!(
        prompt.asked,
        [
            "Security key PIN (3 attempts left)",
            "Security key PIN (2 attempts left)"
        ]
    );
    assert_eq!(*fake.pins.borrow(), ["1111", "2222"]);
    assert!(
        !ran.output.contains("1111") && !ran.output.contains("2222"),
        "a PIN was printed"
    );
    let error = error(ran);
    assert_eq!(
        error.to_string(),
        "this key does not support what is needed: ES256"
    );
}

#[test]
fn a_blocked_pin_is_reported_before_touching_the_key() {
    let mut fake = keys(vec![]);
    fake.info.pin_set = true;
    fake.info.pin_retries = Some(0);
    let clock = FixedClock::new(1_700_000_000);
    let error = error(run(
        &fake,
        &mut ScriptedPrompt::default(),
        Mode::default(),
        &clock,
    ));
    assert!(
        error.to_string().starts_with("the key's PIN is blocked"),
        "{error}"
    );
    assert_eq!(
        fake.makes.get(),
        0,
        "the key was not asked to make a credential"
    );
}

#[test]
fn a_dry_run_looks_for_the_key_once_and_never_waits_for_it() {
    let mut fake = keys(vec![]);
    fake.plugged_from = usize::MAX;
    let clock = FixedClock::new(1_700_000_000);
    let mode = Mode {
        dry_run: true,
        ..unattended()
    };
    let ran = run(&fake, &mut ScriptedPrompt::default(), mode, &clock);
    assert!(ran.result.is_ok(), "{:?}\n{}", ran.result, ran.output);
    for expected in [
        "fido.wait-for-key key: would wait for a security key (none is plugged in)",
        "fido.key-info info: would read the security key's info (no security key is plugged in)",
        "fido.self-test test: would make a test credential and an assertion",
    ] {
        assert!(ran.output.contains(expected), "{expected}\n{}", ran.output);
    }
    assert_eq!(clock.now(), 1_700_000_000, "a dry run waited");
    assert_eq!(fake.lists.get(), 2, "looked once for each action");
}

#[test]
fn a_dry_run_with_a_key_reads_it_but_asks_for_no_touch() {
    let fake = keys(vec![]);
    let clock = FixedClock::new(1_700_000_000);
    let mode = Mode {
        dry_run: true,
        ..unattended()
    };
    let ran = run(&fake, &mut ScriptedPrompt::default(), mode, &clock);
    assert!(ran.result.is_ok(), "{:?}\n{}", ran.result, ran.output);
    assert!(
        ran.output
            .contains("fido.wait-for-key key: found Test Key 0 at /dev/hidraw0"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("fido.key-info info: YubiKey 5 Series: FIDO_2_0, U2F_V2; no PIN set"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("fido.self-test test: would make a test credential"),
        "{}",
        ran.output
    );
    assert_eq!(fake.makes.get(), 0, "a dry run asked for a touch");
}
