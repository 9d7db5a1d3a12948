//! Reading a request body as JSON, strictly: a key given twice in one
//! object and a number in exponent notation are refused, naming the field
//! (serde_json keeps the last of two keys and reads `1e5` as a float, so a
//! claim could silently say something other than what was sent). One pass
//! over the bytes builds the `serde_json::Value`; a body that is not JSON
//! at all gets serde_json's own message.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::api::FieldError;

/// Objects and arrays nested deeper than this are refused (serde_json's
/// own limit), so a hostile body cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON: the message says where.
    Malformed(String),
    /// JSON, but not as the service takes it: a repeated key, a number in
    /// exponent notation.
    Field(FieldError),
}

/// Parses `bytes` as one JSON value.
pub fn parse(bytes: &[u8]) -> Result<Value, BodyError> {
    let malformed = || match serde_json::from_slice::<Value>(bytes) {
        Err(e) => BodyError::Malformed(e.to_string()),
        Ok(_) => BodyError::Malformed(format!("objects or arrays nest deeper than {MAX_DEPTH}")),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed())?;
    let mut reader = Reader {
        text,
        at: 0,
        path: Vec::new(),
    };
    let value = reader.value(0).map_err(|e| match e {
        Stop::Syntax => malformed(),
        Stop::Field(f) => BodyError::Field(f),
    })?;
    reader.skip_space();
    if reader.at != text.len() {
        return Err(malformed());
    }
    Ok(value)
}

enum Stop {
    Syntax,
    Field(FieldError),
}

enum Step<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    /// Where the reader is, rendered only for an error.
    path: Vec<Step<'a>>,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Result<(), Stop> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Stop::Syntax)
        }
    }

    fn field(&self, message: String) -> Stop {
        let mut field = String::new();
        for step in &self.path {
            match step {
                Step::Key(k) if field.is_empty() => field.push_str(k),
                Step::Key(k) => {
                    field.push('.');
                    field.push_str(k);
                }
                Step::Index(i) => field.push_str(&format!("[{i}]")),
            }
        }
        Stop::Field(FieldError::new(field, message))
    }

    fn value(&mut self, depth: usize) -> Result<Value, Stop> {
        self.skip_space();
        match self.peek().ok_or(Stop::Syntax)? {
            b'{' if depth < MAX_DEPTH => self.object(depth + 1),
            b'[' if depth < MAX_DEPTH => self.array(depth + 1),
            b'"' => Ok(Value::String(self.string()?.into_owned())),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Stop::Syntax),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, Stop> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(Stop::Syntax)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Stop> {
        self.at += 1;
        let mut map = Map::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(Stop::Syntax);
            }
            let key = self.string()?;
            self.eat(b':')?;
            self.path.push(Step::Key(key.clone()));
            if map.contains_key(key.as_ref()) {
                return Err(self.field(
                    "is given twice in the same object; each field may be given once".into(),
                ));
            }
            let value = self.value(depth)?;
            self.path.pop();
            map.insert(key.into_owned(), value);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(Stop::Syntax),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Stop> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.path.push(Step::Index(items.len()));
            items.push(self.value(depth)?);
            self.path.pop();
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(Stop::Syntax),
            }
        }
    }

    /// A string at the opening quote; escapes are decoded by serde_json.
    fn string(&mut self) -> Result<Cow<'a, str>, Stop> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match bytes.get(i).copied().ok_or(Stop::Syntax)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b if b < 0x20 => return Err(Stop::Syntax),
                _ => i += 1,
            }
        }
        self.at = i + 1;
        if !escaped {
            return Ok(Cow::Borrowed(&self.text[start + 1..i]));
        }
        serde_json::from_str::<String>(&self.text[start..=i])
            .map(Cow::Owned)
            .map_err(|_| Stop::Syntax)
    }

    fn number(&mut self) -> Result<Value, Stop> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if bytes[i] == b'-' {
            i += 1;
        }
        let whole = digits(&mut i);
        if whole == 0 || (whole > 1 && bytes[i - whole] == b'0') {
            return Err(Stop::Syntax);
        }
        let mut fraction = false;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Stop::Syntax);
            }
            fraction = true;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            let mut end = i + 1;
            if matches!(bytes.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            if digits(&mut end) == 0 {
                return Err(Stop::Syntax);
            }
            let written = &self.text[start..end];
            return Err(self.field(format!(
                "the number {written} is in exponent notation; write it plainly (like 100000 or \"12.50\")"
            )));
        }
        self.at = i;
        let written = &self.text[start..i];
        let number = if fraction {
            None
        } else if let Ok(n) = written.parse::<i64>() {
            Some(Number::from(n))
        } else {
            written.parse::<u64>().ok().map(Number::from)
        };
        if let Some(n) = number {
            return Ok(Value::Number(n));
        }
        // A fraction or a whole number past 64 bits is held as a double: it
        // is taken only when the double is the number written, so an amount
        // is never silently rounded (1234567890123456.78 would become ...6.8).
        let float = written.parse::<f64>().ok().filter(|f| f.is_finite());
        let exact = float.is_some_and(|f| same_decimal(written, &f.to_string()));
        match float.and_then(Number::from_f64) {
            Some(n) if exact => Ok(Value::Number(n)),
            Some(_) => Err(self.field(format!(
                "the number {written} has more digits than a JSON number holds exactly; send it as a string (like \"{written}\")"
            ))),
            None => Err(self.field(format!("the number {written} is too large"))),
        }
    }
}

/// Whether two plain decimal texts are the same number (`1.50` and `1.5`).
fn same_decimal(a: &str, b: &str) -> bool {
    use std::str::FromStr;
    match (
        rust_decimal::Decimal::from_str(a),
        rust_decimal::Decimal::from_str(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        // Past a decimal's range (about 8e28): equal only as written.
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &str) -> (String, String) {
        match parse(body.as_bytes()) {
            Err(BodyError::Field(f)) => (f.field, f.message),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for body in [
            r#"{"a": [1, -2, 3.5, 18446744073709551615, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}}"#,
            "  [ ]  ",
            "{}",
            r#""\"""#,
            "0",
            "-0.0",
        ] {
            let want: Value = serde_json::from_str(body).unwrap();
            assert_eq!(parse(body.as_bytes()).unwrap(), want, "{body}");
        }
    }

    #[test]
    fn refuses_what_is_not_json_with_serde_jsons_message() {
        for body in [
            "{\"claim_id\": \"C-1003\",",
            "01",
            "1.",
            "[1,]",
            "{\"a\" 1}",
            "\"\u{1}\"",
            "tru",
            "1 2",
            "-",
            "\"\\x\"",
        ] {
            match parse(body.as_bytes()) {
                Err(BodyError::Malformed(m)) => {
                    let want = serde_json::from_str::<Value>(body).unwrap_err().to_string();
                    assert_eq!(m, want, "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(parse(&[0xff]), Err(BodyError::Malformed(_))));
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(BodyError::Malformed(_))
        ));
    }

    #[test]
    fn a_repeated_key_is_refused_naming_it() {
        let (f, m) = field(r#"{"lines": [{"amount": "1"}, {"amount": "1", "amount": "2"}]}"#);
        assert_eq!(f, "lines[1].amount");
        assert!(m.contains("given twice"), "{m}");
        assert_eq!(field(r#"{"a": 1, "\u0061": 2}"#).0, "a");
        assert_eq!(field(r#"{"a": 1, "a": 1}"#).0, "a");
    }

    #[test]
    fn a_number_a_double_cannot_hold_exactly_is_refused() {
        let (f, m) = field(r#"{"total_amount": 1234567890123456.78}"#);
        assert_eq!(f, "total_amount");
        assert!(m.contains("send it as a string"), "{m}");
        assert!(parse(br#"{"total_amount": 12.50}"#).is_ok());
        assert!(parse(br#"{"total_amount": 0.1}"#).is_ok());
        assert!(parse(br#"{"n": 99999999999999999999}"#).is_err());
    }

    #[test]
    fn exponent_notation_is_refused_naming_the_field() {
        let (f, m) = field(r#"{"lines": [{"quantity": 1e5}]}"#);
        assert_eq!(f, "lines[0].quantity");
        assert!(m.contains("1e5"), "{m}");
        assert_eq!(field("[1, 2E-3]").0, "[1]");
    }
}
