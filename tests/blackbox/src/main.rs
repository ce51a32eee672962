//! A user's Docker image, as small as one can be: a static binary in an image built `FROM
//! scratch` that answers OpenWhisk's `/init` and `/run` on port 8080 (HTTP/1.1 keep-alive).
//! `/run` answers `{"blackbox": true, "inits": <how many /init calls came>, "input": <the /run
//! body>}` and writes a log line plus the end-of-activation sentinels, as runtimes do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};

static INITS: AtomicUsize = AtomicUsize::new(0);
const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

fn main() {
    let listener = match TcpListener::bind("0.0.0.0:8080") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("blackbox: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || serve(stream));
    }
}

/// Serves the requests of one connection until it closes.
fn serve(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let (status, answer) = match path.as_str() {
            "/init" => {
                INITS.fetch_add(1, Ordering::SeqCst);
                ("200 OK", "{\"ok\":true}".to_owned())
            }
            "/run" => {
                let input = String::from_utf8_lossy(&body);
                let answer =
                    format!("{{\"blackbox\":true,\"inits\":{},\"input\":{input}}}", INITS.load(Ordering::SeqCst));
                println!("blackbox: ran");
                println!("{SENTINEL}");
                eprintln!("{SENTINEL}");
                ("200 OK", answer)
            }
            _ => ("404 Not Found", "{\"error\":\"no such route\"}".to_owned()),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
