#!/usr/bin/python3
"""Drives the Hookpost desktop window as a user would, through the
accessibility tree (AT-SPI) that WebKitGTK exposes for the page: controls are
found by role and accessible name ("push button" named "Send test", "entry"
named "Payload URL"), never by screen coordinates. Text is typed with
synthesized key presses after the window got the X input focus (no window
manager is needed for that), and every typed value is read back.

Run by scripts/desktop-smoke inside a private D-Bus session under Xvfb, with
the app already started. It also runs the local webhook receiver
(scripts/receiver.py) the test delivery goes to, and checks both of its
signatures.

  desktop-flow.py OUT_DIR

Exits non-zero with a message (and OUT_DIR/desktop-failure.png plus
OUT_DIR/desktop-a11y-tree.txt) when a step fails.
"""

import json
import os
import subprocess
import urllib.request
import sys
import threading
import time
import warnings

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
from receiver import Receiver  # scripts/receiver.py  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
TIMEOUT = 15.0  # per wait; every step normally takes well under a second
HOOK_NAME = "Desktop receiver"
EVENTS = ["Work packages: Created", "Work packages: Updated"]


class Failure(Exception):
    pass


# ---------------------------------------------------------------- AT-SPI


def walk(node):
    yield node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            yield from walk(child)


def app_root():
    desk = Atspi.get_desktop(0)
    for i in range(desk.get_child_count()):
        app = desk.get_child_at_index(i)
        if app is not None and app.get_name().startswith("hookpost"):
            return app
    return None


def safe(fn, default=None):
    try:
        return fn()
    except Exception:  # the node went away while the page re-rendered
        return default


def wait_for(what, probe, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while True:
        got = safe(probe)
        if got:
            return got
        if time.monotonic() > end:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def find(role, name, timeout=TIMEOUT):
    """The first node with this role and accessible name (off-screen ones
    too: act scrolls them into view, as a user would)."""

    def probe():
        root = app_root()
        if root is None:
            return None
        for node in walk(root):
            if safe(node.get_role_name) == role and safe(node.get_name) == name:
                return node
        return None

    return wait_for(f'{role} "{name}"', probe, timeout)


def checked(node):
    return node.get_state_set().contains(Atspi.StateType.CHECKED)


def window_title():
    root = app_root()
    for node in walk(root):
        if node.get_role_name() == "frame":
            return node.get_name()
    return None


def wait_title(title):
    wait_for(f'the window title "{title}"', lambda: window_title() == title)


def act(node, action):
    """Runs the named AT-SPI action (press, jump, check, select...)."""
    names = [node.get_action_name(i) for i in range(node.get_n_actions())]
    if action not in names:
        raise Failure(f'{node.get_role_name()} "{node.get_name()}" offers {names}, not "{action}"')
    node.do_action(names.index(action))


def text_of(node):
    return node.get_text(0, -1) if "Text" in node.get_interfaces() else ""


def all_text(node):
    return " ".join(t for t in (safe(lambda n=n: text_of(n), "") for n in walk(node)) if t)


def focus(node):
    if not node.grab_focus():
        raise Failure(f'{node.get_role_name()} "{node.get_name()}" did not take the focus')
    wait_for(f'{node.get_role_name()} "{node.get_name()}" to be focused',
             lambda: node.get_state_set().contains(Atspi.StateType.FOCUSED))


def type_into(role, name, value):
    """Focuses the field, types the value with key presses (so the page sees
    real input events) and reads it back."""
    field = find(role, name)
    focus(field)
    Atspi.generate_keyboard_event(0, value, Atspi.KeySynthType.STRING)
    wait_for(f'{role} "{name}" to read "{value}"', lambda: text_of(field) == value, timeout=5)


def screenshot(name):
    path = f"{OUT}/{name}.png"
    subprocess.run(["import", "-window", "root", path], check=True)
    colours = int(subprocess.run(["convert", path, "-format", "%k", "info:"], check=True,
                                 capture_output=True, text=True).stdout)
    if colours <= 20:
        raise Failure(f"the screenshot {path} looks blank ({colours} colours)")
    step(f"screenshot {path}")


T0 = time.monotonic()


def step(msg):
    print(f"desktop-flow: [{time.monotonic() - T0:4.1f} s] {msg}", flush=True)


# ---------------------------------------------------------------- the flow


def run(receiver):
    started = time.monotonic()
    # The settings page, loaded through the GetSettings binding (it sets the
    # title only then); "Enable docs page" is saved through UpdateSettings.
    wait_title("Hookpost — API settings")
    screenshot("desktop-settings")
    docs = find("check box", "Enable docs page")
    if checked(docs):
        raise Failure('"Enable docs page" is already checked on a new database')
    act(docs, "check")
    wait_for('"Enable docs page" to be checked', lambda: checked(docs))
    act(find("push button", "Save"), "press")
    find("push button", "Save")  # enabled again once the binding answered
    wait_for('"Successful update."', lambda: "Successful update." in all_text(app_root()))
    screenshot("desktop-saved")
    step('ticked "Enable docs page" and saved')

    # Keyboard input reaches the window once it has the X input focus.
    subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Hookpost", "windowfocus", "--sync"],
                   check=True, timeout=10)

    # The webhooks list, empty on a new database.
    act(find("link", "Webhooks"), "jump")
    wait_title("Hookpost — Webhooks")
    find("heading", "No webhooks have been defined yet.")
    screenshot("desktop-webhooks-empty")
    step("the webhooks list shows its empty state")

    # The form: name, payload URL of the local receiver, a generated secret,
    # two events, all projects.
    act(find("link", "+ New webhook"), "jump")
    wait_title("Hookpost — New webhook")
    type_into("entry", "Name", HOOK_NAME)
    type_into("entry", "Payload URL", receiver.url)
    act(find("push button", "Generate"), "press")
    secret = wait_for("the generated secret", lambda: text_of(find("entry", "Signature secret", timeout=1)))
    if not secret.startswith("whsec_"):
        raise Failure(f'"Generate" made {secret!r}, not a whsec_ secret')
    receiver.secret = secret
    for label in EVENTS:
        box = find("check box", label)
        act(box, "check")
        wait_for(f'"{label}" to be checked', lambda box=box: checked(box))
    projects = find("radio button", "All projects")
    if not checked(projects):
        act(projects, "select")
    wait_for('"All projects" to be selected', lambda: checked(projects))
    screenshot("desktop-webhook-form")
    create = find("push button", "Create")
    # Focusing the button scrolls the page to it, so the second screenshot
    # shows the rest of the form.
    focus(create)
    time.sleep(0.3)  # for the scroll to be painted
    screenshot("desktop-webhook-form-end")
    act(create, "press")
    wait_title(f"Hookpost — {HOOK_NAME}")
    step(f'created "{HOOK_NAME}" for {receiver.url}')

    # Back to the list, which now has the webhook, and into its page.
    act(find("link", "Webhooks"), "jump")
    wait_title("Hookpost — Webhooks")
    link = find("link", HOOK_NAME)
    wait_for("the list row to show its health", lambda: "No deliveries yet" in all_text(app_root()))
    text = all_text(app_root())
    for want in ("Enabled", "All projects", "Work packages"):
        if want not in text:
            raise Failure(f'the webhooks list does not show "{want}": {text[:400]}')
    screenshot("desktop-webhooks-list")
    act(link, "jump")
    wait_title(f"Hookpost — {HOOK_NAME}")
    find("heading", "Webhook is enabled")
    step("the webhook page is open")

    # Send test: the result shows inline, and the receiver got it signed.
    act(find("push button", "Send test"), "press")
    find("push button", "Show request")  # rendered with the result only
    section = find("heading", "Send test").get_parent()
    result = " ".join(all_text(section).split())
    summary = result.partition("Test result")[2].partition("Response Content-Length")[0].strip()
    step(f"inline result: {summary}")
    if "Succeeded Response 200" not in result:
        raise Failure(f"the inline test result does not show a 200 response: {result}")
    if '"received"' not in result:
        raise Failure(f"the inline test result does not show the receiver's body: {result}")
    screenshot("desktop-webhook-test")

    with receiver.lock:
        got = list(receiver.requests)
    if len(got) != 1:
        raise Failure(f"the receiver got {len(got)} requests, want 1: {got}")
    req = got[0]
    headers = {k.lower(): v for k, v in req["headers"].items()}
    if headers.get("x-hookpost-event") != "work_package:created":
        raise Failure(f"the test delivery is for {headers.get('x-hookpost-event')!r}, want work_package:created")
    if not req["opSignatureValid"]:
        raise Failure(f"X-OP-Signature does not verify with the generated secret: {headers.get('x-op-signature')}")
    if not req["standardSignatureValid"]:
        raise Failure(f"webhook-signature does not verify: {headers.get('webhook-signature')}")
    body = json.loads(req["body"])
    if body.get("action") != "work_package:created" or "work_package" not in body:
        raise Failure(f"the test delivery's body is not a work_package:created payload: {req['body'][:300]}")
    step(f"the receiver got the test delivery with valid X-OP-Signature and webhook-signature "
         f"(webhook-id {headers.get('webhook-id')})")

    # Live: a work package created through the HTTP API while the page is
    # open; its delivery reaches the receiver, and its row appears on the page
    # without a reload (the dispatcher's event, forwarded as a Wails event).
    before = len(delivery_rows())
    project = api("POST", "/api/v3/projects", {"identifier": "desktop-live", "name": "Desktop live"})
    wp = api("POST", "/api/v3/work_packages", {"subject": "Seen live in the window",
                                                "_links": {"project": {"href": f"/api/v3/projects/{project['id']}"}}})
    wait_for("the work package's delivery at the receiver",
             lambda: any(r["headers"].get("X-Hookpost-Event") == "work_package:created" and
                         json.loads(r["body"]).get("work_package", {}).get("id") == wp["id"]
                         for r in list(receiver.requests)))
    rows = wait_for("a new row on the open page", lambda: (lambda r: r if len(r) > before else None)(delivery_rows()))
    screenshot("desktop-webhook-live")
    step(f"the delivery of work package {wp['id']} appeared on the open page without a reload "
         f"({before} → {len(rows)} rows)")
    step(f"flow took {time.monotonic() - started:.1f} s")


def delivery_rows():
    """The body rows of the deliveries table on the open page."""
    rows = []
    for node in walk(find("table", "Recent deliveries")):
        if safe(node.get_role_name) == "table row" and "Delivery" not in all_text(node):
            rows.append(node)
    return rows


def api(method, path, body):
    """Calls the HTTP API of the app's in-process server with the flow's token."""
    req = urllib.request.Request(os.environ["HOOKPOST_URL"] + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + os.environ["HOOKPOST_TOKEN"],
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def dump_tree(path):
    with open(path, "w", encoding="utf-8") as f:
        root = safe(app_root)
        if root is None:
            f.write("no hookpost application on the accessibility bus\n")
            return

        def rec(node, depth):
            f.write(f"{'  ' * depth}[{safe(node.get_role_name)}] {safe(node.get_name)!r} {safe(lambda: text_of(node), '')[:80]!r}\n")
            for i in range(safe(node.get_child_count, 0)):
                child = safe(lambda: node.get_child_at_index(i))
                if child is not None:
                    rec(child, depth + 1)

        rec(root, 0)


def main():
    log = open(f"{OUT}/desktop-receiver.log", "w", encoding="utf-8")
    receiver = Receiver(log=log)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        run(receiver)
    except Failure as err:
        print(f"desktop-flow: FAILED: {err}", file=sys.stderr)
        safe(lambda: subprocess.run(["import", "-window", "root", f"{OUT}/desktop-failure.png"], timeout=10))
        dump_tree(f"{OUT}/desktop-a11y-tree.txt")
        print(f"desktop-flow: see {OUT}/desktop-failure.png and {OUT}/desktop-a11y-tree.txt", file=sys.stderr)
        sys.exit(1)
    finally:
        receiver.shutdown()


if __name__ == "__main__":
    main()
