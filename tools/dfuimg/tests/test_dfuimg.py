#!/usr/bin/env python3
"""dfuimg against the imgtool vector set (MANIFEST.json).

Runs every imgtool command of the manifest with dfuimg in its place and
compares the output: byte for byte for deterministic images (Ed25519,
hash-only), every byte but the signature for RSA-PSS / ECDSA (whose
signature must then verify). Checks verify on every image (good, broken,
wrong key), the documented error cases, key export and keygen round trips,
P-384 and pure Ed25519, dumpinfo -f json|yaml against imgtool's files,
Intel HEX against binutils' objcopy, getpriv, passphrase-protected keys,
dfuboot's slot-size limit and the error lines.
Exit 77 (skip) when the vectors are absent."""
import base64, hashlib, json, os, re, shlex, shutil, struct, subprocess, sys, tempfile

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


def run(args, stdin=None):
    # a new session has no controlling terminal: passphrases come from stdin
    return subprocess.run([dfuimg] + args, cwd=vdir, capture_output=True, text=True, input=stdin,
                          start_new_session=True)


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
        and "file_level_verdict" not in f["expected"]
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
    out = os.path.join(tmp, os.path.basename(f["file"]))
    argv[argv.index("-o") + 1] = out
    r = run(argv)
    check(r.returncode == 0 and open(out, "rb").read() == open(os.path.join(vdir, f["file"]), "rb").read(),
          "export identical: " + f["command"])

# P-384 (and RSA-3072) exports are in the set without manifest entries.
for name in ("root-ec-p384", "root-rsa-3072"):
    for cmd, enc, ext in (("getpub", "lang-c", "pub.c"), ("getpub", "pem", "pub.pem"), ("getpub", "raw", "pub.der"),
                          ("getpubhash", "lang-c", "pubhash.c"), ("getpubhash", "raw", "pubhash.bin")):
        ref = os.path.join(vdir, "keys", "%s.%s" % (name, ext))
        if not os.path.exists(ref):
            continue
        out = os.path.join(tmp, "%s.%s" % (name, ext))
        r = run([cmd, "-k", "keys/%s.pem" % name, "-e", enc, "-o", out])
        check(r.returncode == 0 and open(out, "rb").read() == open(ref, "rb").read(),
              "export identical: %s -e %s %s" % (cmd, enc, name))

# 5. keygen round trips, incl. RSA-3072 and P-384 which have no vector image.
for t in ("rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519"):
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
    check(sig[0] == {"rsa-2048": 0x20, "rsa-3072": 0x23, "ecdsa-p256": 0x22, "ecdsa-p384": 0x22,
                     "ed25519": 0x24}[t], "sig type " + t)
    data[sig[2] + 5] ^= 1
    open(out, "wb").write(data)
    check(run(["verify", "-k", key, out]).returncode == 1, "flipped signature rejected for " + t)

# 6. Command-line errors: one line, non-zero.
for args in (["sign", "--bogus"], ["verify", "-k", "keys/missing.pem", "images/rsa2048-1k.bin"],
             ["verify", "images/no-such.bin"], ["keygen", "-t", "dsa", "-k", os.path.join(tmp, "x.pem")], ["frobnicate"],
             ["sign", "-k", "keys/root-ed25519.pub.pem", "-H", "0x200", "--pad-header", "-v", "1", "-S",
              "0x76000", "payloads/p-1k.bin", os.path.join(tmp, "y.bin")]):
    r = run(args)
    check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, "clean error for %s: %r" % (args, r.stderr))


# 7. P-384 in detail, checked with an independent implementation where one
# is installed (python3-cryptography): SHA384 hash TLV over the hashed
# region, KEYHASH = SHA-384 of the SubjectPublicKeyInfo, ECDSA over SHA-384.
p384 = os.path.join(tmp, "p384.bin")
r = run(["sign", "-k", "keys/root-ec-p384.pem", "--header-size", "0x200", "--pad-header", "--align", "4",
         "--version", "1.2.3+4", "--slot-size", "0x76000", "payloads/p-1k.bin", p384])
check(r.returncode == 0, "sign with the P-384 key: " + r.stderr.strip())
data = open(p384, "rb").read()
_, ents = tlv_offsets(data)
check([(t, l) for t, l, _ in ents][:2] == [(0x11, 48), (0x01, 48)] and ents[2][0] == 0x22,
      "P-384 TLVs: SHA384, KEYHASH(48), ECDSA_SIG: %r" % [(hex(t), l) for t, l, _ in ents])
region = data[:512 + 1024]
check(data[ents[0][2]:ents[0][2] + 48] == hashlib.sha384(region).digest(), "SHA384 TLV is the SHA-384 of the region")
spki = open(os.path.join(vdir, "keys/root-ec-p384.pub.der"), "rb").read()
check(data[ents[1][2]:ents[1][2] + 48] == hashlib.sha384(spki).digest(), "KEYHASH is the SHA-384 of the SPKI")
try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.exceptions import InvalidSignature
    pubkey = serialization.load_der_public_key(spki)
    sig = data[ents[2][2]:ents[2][2] + ents[2][1]]
    try:
        pubkey.verify(sig, region, ec.ECDSA(hashes.SHA384()))
        check(True, "")
    except InvalidSignature:
        check(False, "python-cryptography verifies dfuimg's P-384 signature")
    have_cryptography = True
except ImportError:
    print("note: python3-cryptography missing: P-384 signature checked by dfuimg only")
    have_cryptography = False
r = run(["verify", "-k", "keys/root-ec-p384.pem", p384])
check(r.returncode == 0 and "Image digest: " + hashlib.sha384(region).hexdigest() in r.stdout, "verify P-384")
r = run(["verify", p384])
check(r.returncode == 0, "hash-only verify of a P-384 image")
r = run(["verify", "-k", "keys/root-ec-p256.pem", p384])
check(r.returncode == 1 and "does not match the given key" in r.stdout, "P-256 key does not verify a P-384 image")
r = run(["dumpinfo", p384])
check(r.returncode == 0 and "SHA384 (0x11)" in r.stdout, "dumpinfo names the SHA384 TLV")

# 8. Pure Ed25519: byte-identical to imgtool (step 1); its signature covers
# the region itself, so a hash-then-sign key check must not accept it.
pure = os.path.join(vdir, "images/ed25519-1k-pure.bin")
r = run(["verify", "-k", "keys/root-ed25519.pem", pure])
check(r.returncode == 0 and "pure" in r.stdout, "verify pure: " + r.stdout)
if have_cryptography:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    d = open(pure, "rb").read()
    _, ents = tlv_offsets(d)
    edpub = serialization.load_der_public_key(open(os.path.join(vdir, "keys/root-ed25519.pub.der"), "rb").read())
    sig = [d[o:o + l] for t, l, o in ents if t == 0x24][0]
    try:
        edpub.verify(sig, d[:1536])
        check(True, "")
    except InvalidSignature:
        check(False, "pure signature is over the region (python-cryptography)")
r = run(["sign", "-k", "keys/root-rsa-2048.pem", "--header-size", "0x200", "--pad-header", "--version", "1",
         "--slot-size", "0x76000", "--pure", "payloads/p-1k.bin", os.path.join(tmp, "pure-rsa.bin")])
check(r.returncode == 2 and "Ed25519" in r.stderr and not os.path.exists(os.path.join(tmp, "pure-rsa.bin")),
      "--pure with an RSA key is refused: " + r.stderr)

# 9. verify names unsupported features instead of a bad hash.
enc = bytearray(open(os.path.join(vdir, "images/hashonly-1k.bin"), "rb").read())
enc[16] |= 0x04  # IMAGE_F_ENCRYPTED_AES128
open(os.path.join(tmp, "enc.bin"), "wb").write(enc)
r = run(["verify", os.path.join(tmp, "enc.bin")])
check(r.returncode == 1 and "(unsupported)" in r.stdout and "encrypted" in r.stdout, "encrypted named: " + r.stdout)
comp = bytearray(enc)
comp[16] = 0x00
comp[17] |= 0x02  # IMAGE_F_COMPRESSED_LZMA1
open(os.path.join(tmp, "comp.bin"), "wb").write(comp)
r = run(["verify", os.path.join(tmp, "comp.bin")])
check(r.returncode == 1 and "compressed" in r.stdout, "compressed named: " + r.stdout)

# 10. dumpinfo -f json / yaml: imgtool's keys and values.
try:
    import yaml
except ImportError:
    yaml = None
    print("note: python3-yaml missing: dumpinfo -f yaml is not compared")
for f in files:
    dj = ((f.get("imgtool_dumpinfo") or {}).get("json") or {})
    if not dj or dj.get("rc") != 0:
        continue
    ref = os.path.join(vdir, dj["output_file"])
    out = os.path.join(tmp, os.path.basename(ref))
    r = run(["dumpinfo", "-f", "json", "-o", out, f["file"]])
    check(r.returncode == 0 and open(out, "rb").read() == open(ref, "rb").read(),
          "dumpinfo -f json byte-identical: " + f["file"])
    want = json.load(open(ref))
    r = run(["dumpinfo", "-f", "json", f["file"]])
    check(r.returncode == 0 and json.loads(r.stdout) == want, "dumpinfo -f json to stdout: " + f["file"])
    if yaml:
        r = run(["dumpinfo", "-f", "yaml", f["file"]])
        def hexify(o):
            if isinstance(o, bytes):
                return o.hex()
            if isinstance(o, dict):
                return {k: hexify(v) for k, v in o.items()}
            if isinstance(o, list):
                return [hexify(v) for v in o]
            return o
        try:
            got = hexify(yaml.safe_load(r.stdout))
        except yaml.YAMLError as e:
            got = str(e)
        check(r.returncode == 0 and got == want, "dumpinfo -f yaml parses to imgtool's data: " + f["file"])
        if got == want:
            check(list(yaml.safe_load(r.stdout).keys()) == list(want.keys()), "yaml key order " + f["file"])
r = run(["dumpinfo", "-o", os.path.join(tmp, "default.yaml"), "images/rsa2048-1k.bin"])
check(r.returncode == 0 and open(os.path.join(tmp, "default.yaml")).read().startswith("filename: "),
      "dumpinfo -o without -f writes yaml, as imgtool")

# 11. Intel HEX, against binutils' objcopy as the independent reader/writer.
objcopy = shutil.which("objcopy")
SIGN = ["--header-size", "0x200", "--pad-header", "--align", "4", "--version", "1.2.3+4", "--slot-size", "0x76000"]
if not objcopy:
    print("note: objcopy (binutils) missing: Intel HEX not compared")
else:
    def oc(*a):
        return subprocess.run([objcopy] + list(a), capture_output=True).returncode == 0
    # .hex input (objcopy-written, at 0x10200): same image as the binary, base 0x10200 - header
    hin, ref = os.path.join(tmp, "in.hex"), os.path.join(tmp, "ref.bin")
    check(oc("-I", "binary", "-O", "ihex", "--change-addresses", "0x10200", os.path.join(vdir, "payloads/p-100k.bin"),
             hin), "objcopy makes a hex input")
    check(run(["sign"] + SIGN + ["payloads/p-100k.bin", ref]).returncode == 0, "sign binary reference")
    hout, back = os.path.join(tmp, "out.hex"), os.path.join(tmp, "back.bin")
    r = run(["sign"] + SIGN + [hin, hout])
    check(r.returncode == 0 and open(hout).read().startswith(":"), "sign .hex to .hex: " + r.stderr)
    check(oc("-I", "ihex", "-O", "binary", hout, back) and open(back, "rb").read() == open(ref, "rb").read(),
          "objcopy reads our .hex back as the binary image")
    od = subprocess.run(["objdump", "-h", hout], capture_output=True, text=True).stdout if shutil.which("objdump") else ""
    check(not od or re.search(r"\b00010000\s+00010000\b", od), "hex output starts at 0x10000 (input base - header)")
    # .hex input to .bin output: the same bytes as from the binary input
    hb = os.path.join(tmp, "from-hex.bin")
    r = run(["sign"] + SIGN + [hin, hb])
    check(r.returncode == 0 and open(hb, "rb").read() == open(ref, "rb").read(), "sign .hex to .bin")
    # -x/--hex-addr for a binary input; --pad writes only the trailer fields
    for extra, name in (([], "plain"), (["--pad", "--confirm"], "padded")):
        x, xb, xr = (os.path.join(tmp, "x-%s.%s" % (name, e)) for e in ("hex", "bin", "ref"))
        r = run(["sign"] + SIGN + extra + ["-x", "0x8020000", "payloads/p-1k.bin", x])
        check(r.returncode == 0, "sign -x %s: %s" % (name, r.stderr))
        check(run(["sign"] + SIGN + extra + ["payloads/p-1k.bin", xr]).returncode == 0, "sign ref " + name)
        check(oc("-I", "ihex", "-O", "binary", "--gap-fill", "0xff", x, xb) and
              open(xb, "rb").read() == open(xr, "rb").read(), "objcopy round trip of -x output: " + name)
        r = run(["verify", x])
        check(r.returncode == 0, "verify reads a .hex image: " + name)
    # errors: no output file, one line, the reason named
    bad_cases = [
        (["sign"] + SIGN + ["payloads/p-1k.bin", os.path.join(tmp, "nobase.hex")], "-x/--hex-addr"),
        (["sign"] + SIGN + [os.path.join(tmp, "hex-as.bin"), os.path.join(tmp, "e1.bin")], "looks like Intel HEX"),
        (["sign"] + SIGN + [os.path.join(tmp, "cut.hex"), os.path.join(tmp, "e2.bin")], "not valid Intel HEX"),
        (["sign"] + SIGN + [os.path.join(tmp, "sum.hex"), os.path.join(tmp, "e3.bin")], "checksum"),
        (["sign"] + SIGN + ["payloads/p-1k.bin", os.path.join(tmp, "e4.srec")], "unsupported output format"),
    ]
    shutil.copy(hin, os.path.join(tmp, "hex-as.bin"))
    lines = open(hin).read().splitlines(True)
    open(os.path.join(tmp, "cut.hex"), "w").write("".join(lines[:10]))
    l5 = lines[5]
    lines[5] = l5[:9] + ("0" if l5[9] != "0" else "1") + l5[10:]
    open(os.path.join(tmp, "sum.hex"), "w").write("".join(lines))
    for args, why in bad_cases:
        r = run(args)
        check(r.returncode == 2 and why in r.stderr and len(r.stderr.strip().splitlines()) == 1
              and not os.path.exists(args[-1]), "hex error %r: %r" % (why, r.stderr))

# 12. getpriv: the private key as imgtool exports it (checked with
# python3-cryptography where installed).
for key, fmt in (("keys/root-rsa-2048.pem", "pkcs8"), ("keys/root-rsa-2048.pem", "openssl"),
                 ("keys/root-ed25519.pem", "pkcs8"), ("keys/root-ec-p256.pem", "pkcs8"),
                 ("keys/root-ec-p384.pem", "openssl")):
    r = run(["getpriv", "-k", key, "-f", fmt])
    check(r.returncode == 0 and r.stdout.startswith("/* Autogenerated by imgtool.py, do not edit. */\n"
                                                    "const unsigned char enc_priv_key[] = {"),
          "getpriv %s %s" % (key, fmt))
    der = bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2}),", r.stdout))
    check(("enc_priv_key_len = %d;" % len(der)) in r.stdout, "getpriv length line " + key)
    if have_cryptography:
        k = serialization.load_pem_private_key(open(os.path.join(vdir, key), "rb").read(), None)
        mine = serialization.load_der_private_key(der, None)
        pub = lambda x: x.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        check(pub(mine) == pub(k), "getpriv exports the same key: %s %s" % (key, fmt))
        if "ec-" not in key:  # EC: mbedTLS keeps the curve inside the SEC1 part, same key
            want = k.private_bytes(serialization.Encoding.DER,
                                   serialization.PrivateFormat.PKCS8 if fmt == "pkcs8"
                                   else serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
            check(der == want, "getpriv bytes equal imgtool's: %s %s" % (key, fmt))
r = run(["getpriv", "-k", "keys/root-ed25519.pem", "-f", "openssl"])
check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, "getpriv ed25519 -f openssl refused")
r = run(["getpriv", "-k", "keys/root-ed25519.pub.pem"])
check(r.returncode == 2 and "public key" in r.stderr, "getpriv of a public key refused")

# 13. Passphrase-protected keys (mbedTLS decrypts them; keygen -p encrypts).
for t in ("ecdsa-p384", "ed25519", "rsa-2048"):
    key = os.path.join(tmp, "enc-%s.pem" % t)
    r = run(["keygen", "-t", t, "-k", key, "-p"], stdin="s3cret\ns3cret\n")
    check(r.returncode == 0 and "BEGIN ENCRYPTED PRIVATE KEY" in open(key).read(), "keygen -p " + t + r.stderr)
    if have_cryptography:
        try:
            serialization.load_pem_private_key(open(key, "rb").read(), b"s3cret")
            check(True, "")
        except Exception as e:
            check(False, "python-cryptography opens the keygen -p key %s: %s" % (t, e))
    out = os.path.join(tmp, "enc-%s.bin" % t)
    r = run(["sign", "-k", key] + SIGN + ["payloads/p-1k.bin", out], stdin="s3cret\n")
    check(r.returncode == 0, "sign with an encrypted %s key: %s" % (t, r.stderr))
    r = run(["verify", "-k", key, out], stdin="s3cret\n")
    check(r.returncode == 0, "verify with the encrypted key " + t)
    r = run(["sign", "-k", key] + SIGN + ["payloads/p-1k.bin", os.path.join(tmp, "wrong.bin")], stdin="nope\n")
    check(r.returncode == 2 and r.stderr.startswith("dfuimg: error: wrong passphrase")
          and len(r.stderr.strip().splitlines()) == 1
          and not os.path.exists(os.path.join(tmp, "wrong.bin")), "wrong passphrase %s: %r" % (t, r.stderr))
r = run(["keygen", "-t", "ed25519", "-k", os.path.join(tmp, "mismatch.pem"), "-p"], stdin="a\nb\n")
check(r.returncode == 2 and "do not match" in r.stderr and not os.path.exists(os.path.join(tmp, "mismatch.pem")),
      "keygen -p with two different passphrases")
if shutil.which("openssl"):
    # legacy OpenSSL PEM encryption (AES) and PKCS#8 PBES2 with 3DES: mbedTLS reads both
    for name, cmd in (("legacy", ["openssl", "ec", "-aes256", "-passout", "pass:pw"]),
                      ("pbes2-des3", ["openssl", "pkcs8", "-topk8", "-v2", "des3", "-passout", "pass:pw"])):
        key = os.path.join(tmp, "ossl-%s.pem" % name)
        p = subprocess.run(cmd + ["-in", os.path.join(vdir, "keys/root-ec-p256.pem"), "-out", key],
                           capture_output=True)
        if p.returncode != 0:
            print("note: openssl could not write the %s key" % name)
            continue
        r = run(["getpub", "-k", key, "-e", "raw", "-o", os.path.join(tmp, "ossl.der")], stdin="pw\n")
        check(r.returncode == 0 and open(os.path.join(tmp, "ossl.der"), "rb").read() ==
              open(os.path.join(vdir, "keys/root-ec-p256.pub.der"), "rb").read(), "OpenSSL %s key: %s" % (name, r.stderr))
    # AES in PKCS#8 (OpenSSL's and imgtool's default) is beyond mbedTLS 2.28: said plainly
    key = os.path.join(tmp, "ossl-aes.pem")
    p = subprocess.run(["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:pw", "-in",
                        os.path.join(vdir, "keys/root-ec-p256.pem"), "-out", key], capture_output=True)
    if p.returncode == 0:
        r = run(["getpub", "-k", key], stdin="pw\n")
        check(r.returncode == 2 and r.stderr.startswith("dfuimg: error: ") and "mbedTLS 2.28" in r.stderr
              and len(r.stderr.strip().splitlines()) == 1,
              "PBES2 AES key: clear error: %r" % r.stderr)

# 14. --slot-size: dfuboot's swap limit (boot_max_image_size): 0x76000-byte
# slot of 4 KiB sectors = 118 - 1 (trailer) - 1 (offset) sectors = 0x74000.
for size, ok in ((0x74000 - 0x200 - 40, True), (0x74000 - 0x200 - 40 + 1, False)):
    pl, out = os.path.join(tmp, "slot-payload"), os.path.join(tmp, "slot.bin")
    open(pl, "wb").write(b"\x5a" * size)
    if os.path.exists(out):
        os.unlink(out)
    r = run(["sign", "--header-size", "0x200", "--pad-header", "--version", "1", "--slot-size", "0x76000", pl, out])
    if ok:
        check(r.returncode == 0 and os.path.getsize(out) == 0x74000, "largest swappable image signs: " + r.stderr)
    else:
        check(r.returncode == 2 and "at most 0x74000" in r.stderr and "trailer" in r.stderr and "offset" in r.stderr
              and not os.path.exists(out), "one byte more is refused with the limit named: " + r.stderr)
r = run(["sign", "--header-size", "0x200", "--pad-header", "--version", "1", "--slot-size", "0x76000",
         "--sector-size", "0x20000", "payloads/p-1k.bin", os.path.join(tmp, "s.bin")])
check(r.returncode == 2 and "sectors" in r.stderr, "slot not a whole number of sectors: " + r.stderr)

# 15. Error lines: one "dfuimg: error:" prefix, reasons with the errno text.
r = run(["verify", "images/no-such.bin"])
check(r.stderr.strip() == "dfuimg: error: cannot read images/no-such.bin: No such file or directory",
      "errno text: %r" % r.stderr)
r = run(["sign", "-k", "keys/missing.pem"] + SIGN + ["payloads/p-1k.bin", os.path.join(tmp, "m.bin")])
check(r.stderr.strip() == "dfuimg: error: cannot read key file keys/missing.pem: No such file or directory",
      "key errno text: %r" % r.stderr)
r = run(["sign"] + SIGN + ["payloads/p-1k.bin", os.path.join(tmp, "no-such-dir", "o.bin")])
check(r.stderr.strip().endswith(": No such file or directory") and r.stderr.count("error") == 1,
      "write errno text: %r" % r.stderr)
r = run(["dumpinfo", "keys"])
check(r.stderr.strip() == "dfuimg: error: cannot read keys: Is a directory", "directory: %r" % r.stderr)
for args in (["sign", "--bogus"], ["verify", "-k"], ["frobnicate"], ["keygen", "-t", "dsa", "-k",
             os.path.join(tmp, "d.pem")], ["dumpinfo", "-f", "xml", "images/rsa2048-1k.bin"]):
    r = run(args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and lines[0].startswith("dfuimg: error: ")
          and lines[0].count("error:") == 1, "one prefixed line for %s: %r" % (args, r.stderr))

print("%d checks, %d failed" % (checks, failures))
sys.exit(1 if failures else 0)
