#!/usr/bin/env python3
"""dfuimg against the imgtool vector set (MANIFEST.json).

Runs every imgtool command of the manifest with dfuimg in its place and
compares the output: byte for byte for deterministic images (Ed25519,
hash-only), every byte but the signature for RSA-PSS / ECDSA (whose
signature must then verify). Checks verify on every image (good, broken,
wrong key), the documented error cases, key export and keygen round trips.
Exit 77 (skip) when the vectors are absent."""
import json, os, shlex, struct, subprocess, sys, tempfile

dfuimg = os.path.abspath(sys.argv[1])
shared = os.environ.get("DFUBOOT_SHARED_DIR", "../shared")
vdir = os.path.join(shared, "vectors", "imgtool")
manifest_path = os.path.join(vdir, "MANIFEST.json")
if not os.path.exists(manifest_path):
    print("skipped: no imgtool vectors at", manifest_path)
    sys.exit(77)
m = json.load(open(manifest_path))
tmp = tempfile.mkdtemp(prefix="dfuimg-test-")
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what)


def run(args):
    return subprocess.run([dfuimg] + args, cwd=vdir, capture_output=True, text=True)


def tlv_offsets(data):
    """(unprot info offset, [(type, len, value offset)]) of an image."""
    hdr_size, prot, img_size = struct.unpack_from("<HHI", data, 8)
    off = hdr_size + img_size + prot
    magic, tot = struct.unpack_from("<HH", data, off)
    assert magic == 0x6907
    entries, pos = [], off + 4
    while pos < off + tot:
        t, l = struct.unpack_from("<HH", data, pos)
        entries.append((t, l, pos + 4))
        pos += 4 + l
    return off, entries


SIG_TYPES = (0x20, 0x22, 0x23, 0x24)
files = m["files"]

# 1. Re-sign every vector made by `imgtool sign` and compare.
for f in files:
    cmd = f.get("command") or ""
    if f["kind"] not in ("signed_image", "hash_only_image") or not cmd.startswith("imgtool sign"):
        continue
    argv = shlex.split(cmd)[1:]
    if "--pure" in argv:
        r = run(argv[:-1] + [os.path.join(tmp, "pure.bin")])
        check(r.returncode != 0 and "not supported" in r.stderr, "--pure is refused clearly: " + f["file"])
        continue
    out = os.path.join(tmp, os.path.basename(f["file"]))
    r = run(argv[:-1] + [out])
    check(r.returncode == 0, "sign %s: rc=%d %s" % (f["file"], r.returncode, r.stderr.strip()))
    if r.returncode != 0:
        continue
    ours = open(out, "rb").read()
    ref = open(os.path.join(vdir, f["file"]), "rb").read()
    if f["deterministic_bytes"]:
        check(ours == ref, "byte-identical: " + f["file"])
    else:
        uo, ue = tlv_offsets(ours)
        ro, re_ = tlv_offsets(ref)
        check(uo == ro, "same TLV offset: " + f["file"])
        check([(t, l) for t, l, _ in ue if t not in SIG_TYPES] == [(t, l) for t, l, _ in re_ if t not in SIG_TYPES],
              "same non-signature TLVs: " + f["file"])
        so = [e for e in ue if e[0] in SIG_TYPES][0]
        sr = [e for e in re_ if e[0] in SIG_TYPES][0]
        check(so[0] == sr[0], "same signature type: " + f["file"])
        # everything before the signature value, except tlv_tot (ECDSA length varies)
        a = bytearray(ours[:so[2]]); b = bytearray(ref[:sr[2]])
        a[uo + 2:uo + 4] = b[uo + 2:uo + 4] = b"\0\0"
        a[so[2] - 2:so[2]] = b[sr[2] - 2:sr[2]] = b"\0\0"
        check(a == b, "identical up to the signature: " + f["file"])
        end_o, end_r = so[2] + so[1], sr[2] + sr[1]
        if len(ref) > end_r:  # padded: the trailer region must match
            check(len(ours) == len(ref) and ours[end_o:] == ref[end_r:][: len(ours) - end_o]
                  if so[1] == sr[1] else ours[-4096:] == ref[-4096:], "same padding/trailer: " + f["file"])
        else:
            check(len(ours) - so[1] == len(ref) - sr[1], "same size apart from the signature: " + f["file"])
        key = f["key"]
        r = run(["verify", "-k", key, out])
        check(r.returncode == 0 and "correctly validated" in r.stdout, "our signature verifies: " + f["file"])
    # trailer facts for padded outputs
    tr = f["facts"].get("trailer")
    if tr:
        mo = tr["magic_offset"]
        check(ours[mo:mo + 16].hex() == tr["magic_hex"], "trailer magic: " + f["file"])
        io = tr["image_ok"]["offset"]
        check(ours[io] == int(tr["image_ok"]["value"], 16), "image_ok: " + f["file"])
        check(len(ours) == tr["slot_size"], "padded to slot size: " + f["file"])

# 2. verify on every image: verdict and reason.
reasons = {
    "flip_payload": "(hash)", "flip_header_version": "(hash)", "flip_prot_tlv": "(hash)",
    "flip_hash_tlv": "(hash)", "flip_sig": "(signature)", "flip_keyhash": "does not match the given key",
    "bad_magic": "bad image magic", "bad_tlv_magic": "bad TLV info", "truncate": "(format)",
}
for f in files:
    if f["kind"] not in ("signed_image", "hash_only_image", "broken_image"):
        continue
    img = f["file"]
    mut = (f.get("mutation") or {}).get("kind")
    pure = f["facts"].get("verdict", {}).get("pure")
    key = f.get("key")
    if key:
        r = run(["verify", "-k", key, img])
        if mut and mut != "bad_trailer_magic":
            check(r.returncode == 1, "verify rejects " + img)
            check(reasons[mut] in r.stdout, "verify reason for %s: %r" % (img, r.stdout.strip()))
        elif pure:
            check(r.returncode == 1, "pure image is rejected (not supported): " + img)
        else:
            check(r.returncode == 0 and "Image was correctly validated" in r.stdout, "verify accepts " + img)
            digest = f["facts"]["hash"]["value"]
            check("Image digest: " + digest in r.stdout, "digest printed for " + img)
    for w in [f.get("wrong_key_verify")] if isinstance(f.get("wrong_key_verify"), dict) else f.get("wrong_key_verify") or []:
        wk = shlex.split(w["command"])[3] if "command" in w else None
        if wk:
            r = run(["verify", "-k", wk, img])
            check(r.returncode != 0, "wrong key %s rejected for %s" % (wk, img))
    # hash-only check (no key)
    r = run(["verify", img])
    want_ok = f["expected"].get("hash_valid") and f["expected"].get("structurally_valid") \
        and f["expected"].get("hash_tlv") == "SHA256" and "file_level_verdict" not in f["expected"]
    check((r.returncode == 0) == bool(want_ok), "hash-only verify of %s: rc=%d %s" % (img, r.returncode, r.stdout.strip()))
    r = run(["dumpinfo", img])
    ok_struct = f["facts"].get("verdict", {}).get("tlv_ok")
    if ok_struct:
        check(r.returncode == 0, "dumpinfo " + img)
        for t in f["facts"]["tlv_list"]:
            check("(0x%x)" % int(t["type"], 16) in r.stdout, "dumpinfo lists TLV %s of %s" % (t["type"], img))
        if f["facts"].get("trailer"):
            check("boot magic:" in r.stdout, "dumpinfo shows the trailer of " + img)
    else:
        check(r.returncode != 0 or "TLV" in r.stdout, "dumpinfo on broken structure " + img)

# 3. imgtool's documented errors.
for e in m["imgtool_errors"]:
    argv = shlex.split(e["command"])[1:]
    out = os.path.join(tmp, "err-out.bin")
    if os.path.exists(out):
        os.unlink(out)
    r = run(argv[:-1] + [out])
    check(r.returncode != 0, "error case fails: " + e["description"])
    check(not os.path.exists(out), "no output for error case: " + e["description"])
    msg = e["stderr"].strip().splitlines()[-1].replace("Error: ", "")
    core = msg.split(":")[-1].strip() if "Invalid value" in msg else msg
    check(core in r.stderr, "error text %r in %r" % (core, r.stderr.strip()))
    check(len(r.stderr.strip().splitlines()) == 1, "one-line error: " + e["description"])

# 4. Key export equals imgtool's.
for f in files:
    if f["kind"] not in ("public_key_export", "public_key_hash_export"):
        continue
    argv = shlex.split(f["command"])[1:]
    if "p384" in f["key"]:
        continue
    out = os.path.join(tmp, os.path.basename(f["file"]))
    argv[argv.index("-o") + 1] = out
    r = run(argv)
    check(r.returncode == 0 and open(out, "rb").read() == open(os.path.join(vdir, f["file"]), "rb").read(),
          "export identical: " + f["command"])

# 5. keygen round trips, incl. RSA-3072 which has no vector image.
for t in ("rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519"):
    key = os.path.join(tmp, t + ".pem")
    r = run(["keygen", "-t", t, "-k", key])
    check(r.returncode == 0 and "BEGIN PRIVATE KEY" in open(key).read(), "keygen " + t)
    out = os.path.join(tmp, t + ".signed")
    r = run(["sign", "-k", key, "--header-size", "0x200", "--pad-header", "--align", "4", "--version", "2.0.1",
             "--slot-size", "0x76000", "--security-counter", "auto", "payloads/p-1001.bin", out])
    check(r.returncode == 0, "sign with new %s key" % t)
    r = run(["verify", "-k", key, out])
    check(r.returncode == 0, "verify with new %s key: %s" % (t, r.stdout.strip()))
    pub = os.path.join(tmp, t + ".pub.pem")
    check(run(["getpub", "-k", key, "-e", "pem", "-o", pub]).returncode == 0, "getpub pem " + t)
    r = run(["verify", "-k", pub, out])
    check(r.returncode == 0, "verify with the exported public key " + t)
    other = "keys/root-ed25519.pem" if t != "ed25519" else "keys/root-rsa-2048.pem"
    r = run(["verify", "-k", other, out])
    check(r.returncode == 1 and "(signature)" in r.stdout, "other key rejected for " + t)
    data = bytearray(open(out, "rb").read())
    _, ents = tlv_offsets(data)
    sig = [e for e in ents if e[0] in SIG_TYPES][0]
    check(sig[0] == {"rsa-2048": 0x20, "rsa-3072": 0x23, "ecdsa-p256": 0x22, "ed25519": 0x24}[t], "sig type " + t)
    data[sig[2] + 5] ^= 1
    open(out, "wb").write(data)
    check(run(["verify", "-k", key, out]).returncode == 1, "flipped signature rejected for " + t)

# 6. Command-line errors: one line, non-zero.
for args in (["sign", "--bogus"], ["verify", "-k", "keys/missing.pem", "images/rsa2048-1k.bin"],
             ["verify", "images/no-such.bin"], ["sign", "-k", "keys/root-ec-p384.pem", "-H", "0x200",
             "--pad-header", "-v", "1", "-S", "0x76000", "payloads/p-1k.bin", os.path.join(tmp, "x.bin")],
             ["keygen", "-t", "dsa", "-k", os.path.join(tmp, "x.pem")], ["frobnicate"],
             ["sign", "-k", "keys/root-ed25519.pub.pem", "-H", "0x200", "--pad-header", "-v", "1", "-S",
              "0x76000", "payloads/p-1k.bin", os.path.join(tmp, "y.bin")]):
    r = run(args)
    check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, "clean error for %s: %r" % (args, r.stderr))

print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures else 0)
