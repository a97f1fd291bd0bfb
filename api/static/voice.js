// Voice search with the Web Speech API. Chrome throws InvalidStateError when start() is
// called while a session is still ending (the race the seed product hit): we abort, wait for
// "end", then retry once. A visible indicator shows while listening; 30 s without a result
// stops it.
import { $, setStatus } from "./dom.js";

const TIMEOUT_MS = 30_000;

export function setUpVoice(onText) {
  const mic = $("mic");
  const indicator = $("listening");
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) {
    // Left clickable (a disabled button gets no clicks, so it could not explain itself).
    mic.classList.add("unavailable");
    mic.title = "Voice search is not available in this browser";
    mic.addEventListener("click", () => setStatus("Voice search is not available in this browser; type your search instead.", true));
    return;
  }
  const recognition = new Recognition();
  recognition.lang = navigator.language || "en-US";
  recognition.interimResults = false;
  recognition.maxAlternatives = 1;
  let listening = false;
  let timedOut = false;
  let timeout = null;
  let endNow = () => {};

  const show = (on) => {
    listening = on;
    mic.classList.toggle("listening", on);
    mic.setAttribute("aria-pressed", String(on));
    indicator.hidden = !on;
  };
  recognition.onstart = () => {
    show(true);
    timedOut = false;
    setStatus("Listening… say what you want to watch.");
    timeout = setTimeout(() => { timedOut = true; recognition.stop(); }, TIMEOUT_MS);
  };
  recognition.onend = () => {
    clearTimeout(timeout);
    show(false);
    if (timedOut) setStatus("Stopped listening: nothing was heard for 30 seconds.", true);
    endNow();
  };
  recognition.onerror = (event) => {
    const messages = {
      "not-allowed": "Microphone permission was denied.",
      "no-speech": "No speech heard. Try again.",
      "audio-capture": "No microphone was found.",
      "network": "Voice recognition needs a network connection.",
    };
    if (event.error !== "aborted") setStatus(messages[event.error] || `Voice search failed: ${event.error}`, true);
  };
  recognition.onresult = (event) => onText(event.results[0][0].transcript);

  async function startListening(retry = true) {
    try {
      recognition.start();
    } catch (err) {
      if (err.name === "InvalidStateError" && retry) {
        const ended = new Promise((resolve) => { endNow = resolve; });
        recognition.abort();
        await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
        return startListening(false);
      }
      setStatus(`Voice search could not start: ${err.message}`, true);
    }
    return undefined;
  }

  mic.addEventListener("click", () => (listening ? recognition.stop() : startListening()));
  $("stop-listening").addEventListener("click", () => recognition.stop());
}
