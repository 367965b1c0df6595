#!/usr/bin/env bash
# Builds a signed MSIX package and its "installed" form, for test/manifest/msix.test.ts.
#   build-msix.sh PAYLOAD_DIR OUT_DIR
# PAYLOAD_DIR holds the package's files (AppxManifest.xml among them). OUT_DIR gets:
#   trust/root.pem        the throwaway root that signed it (a test PKI from scripts/fixtures/test-pki.sh)
#   package.msix          ZIP (stored) with AppxBlockMap.xml (SHA-256 per 64 KiB block, as the AppX packaging
#                         format specifies) and [Content_Types].xml, signed by osslsigncode 2.9 (AppxSignature.p7x)
#   install/              the package's files as Windows installs them (no [Content_Types].xml)
#   verify.txt            `osslsigncode verify` of the package (independent check of the signature)
set -euo pipefail
payload=$(realpath "$1")
out=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
mkdir -p "$out/pki" "$out/trust" "$out/install"
cd "$out/pki"
. "$here/../../../scripts/fixtures/test-pki.sh"
pki_init <<'CNF'
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_codesign]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
pki_selfsigned root "/CN=Sealwatch MSIX Test Root/O=Sealwatch Test PKI" v3_ca
pki_issue leaf "/CN=Contoso MSIX Publisher/O=Contoso Test Ltd/C=US" root v3_codesign 20240101000000Z 20360101000000Z
cp root.pem "$out/trust/root.pem"
cat leaf.pem root.pem > chain.pem

python3 - "$payload" "$out/unsigned.msix" <<'PY'
import base64, hashlib, os, sys, zipfile
payload, target = sys.argv[1], sys.argv[2]
names = sorted(os.path.relpath(os.path.join(d, f), payload).replace(os.sep, '/') for d, _, fs in os.walk(payload) for f in fs)
BLOCK = 65536
files = []
for n in names:
    data = open(os.path.join(payload, n), 'rb').read()
    blocks = [base64.b64encode(hashlib.sha256(data[i:i + BLOCK]).digest()).decode() for i in range(0, len(data), BLOCK)]
    files.append((n, data, blocks))
bm = ['<?xml version="1.0" encoding="UTF-8"?>',
      '<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">']
for n, data, blocks in files:
    # Stored entries: a Block has no Size attribute; LfhSize = 30 + the name (no extra field).
    bm.append('<File Name="%s" Size="%d" LfhSize="%d">' % (n.replace('/', '\\'), len(data), 30 + len(n.encode())))
    bm += ['<Block Hash="%s"/>' % b for b in blocks]
    bm.append('</File>')
bm.append('</BlockMap>')
exts = sorted({os.path.splitext(n)[1][1:].lower() for n in names if '.' in n})
ct = ['<?xml version="1.0" encoding="UTF-8"?>', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">']
ct += ['<Default Extension="%s" ContentType="application/octet-stream"/>' % e for e in exts if e != 'xml']
ct += ['<Override PartName="/AppxManifest.xml" ContentType="application/vnd.ms-appx.manifest+xml"/>',
       '<Override PartName="/AppxBlockMap.xml" ContentType="application/vnd.ms-appx.blockmap+xml"/>', '</Types>']
with zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as z:
    for n, data, _ in files:
        z.writestr(zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0)), data)
    z.writestr(zipfile.ZipInfo('AppxBlockMap.xml', (2024, 1, 1, 0, 0, 0)), '\r\n'.join(bm))
    z.writestr(zipfile.ZipInfo('[Content_Types].xml', (2024, 1, 1, 0, 0, 0)), ''.join(ct))
PY
osslsigncode sign -certs chain.pem -key leaf.key -in "$out/unsigned.msix" -out "$out/package.msix" >/dev/null
osslsigncode verify -CAfile root.pem -in "$out/package.msix" > "$out/verify.txt" 2>&1 || { cat "$out/verify.txt" >&2; exit 1; }
python3 - "$out/package.msix" "$out/install" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        if i.filename != '[Content_Types].xml':
            z.extract(i, sys.argv[2])
PY
