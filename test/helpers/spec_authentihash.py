#!/usr/bin/python3
"""Independent Authenticode image digests with python3-pefile, for cross-checking sealwatch in tests.

Written from the PE/COFF spec ("Calculating the PE Image Hash", Authenticode_PE.docx) and EDK2's
DxeImageVerificationLib HashPeImage, not from sealwatch's code. For each path prints one JSON object:
  straight: the whole file skipping CheckSum, the certificate-table directory entry and the certificate table;
  sections: the spec's procedure (headers to SizeOfHeaders, sections sorted by PointerToRawData, then
            FILE_SIZE - (CertificateTable.Size + SUM_OF_BYTES_HASHED) bytes from offset SUM_OF_BYTES_HASHED);
  signed:   the digest in each WIN_CERTIFICATE's SpcIndirectDataContent (read with a tiny DER walker);
  gaps:     [start, end, non-zero count] of bytes before the table that the section procedure leaves out.
"""
import hashlib
import json
import sys

import pefile

DIGESTS = {"2b0e03021a": "sha1", "608648016503040201": "sha256", "608648016503040202": "sha384", "608648016503040203": "sha512"}


def der(buf, pos):
    """Returns (tag, content_start, content_end) of the DER element at pos."""
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, pos, pos + n


def children(buf, start, end):
    out = []
    while start < end:
        tag, cs, ce = der(buf, start)
        out.append((tag, cs, ce))
        start = ce
    return out


def signed_digest(pkcs7):
    """ContentInfo -> [0] SignedData -> encapContentInfo -> [0] SpcIndirectDataContent -> messageDigest DigestInfo."""
    _, cs, ce = der(pkcs7, 0)
    ci = children(pkcs7, cs, ce)
    _, cs, ce = ci[1]  # [0] EXPLICIT
    _, cs, ce = der(pkcs7, cs)  # SignedData SEQUENCE
    sd = children(pkcs7, cs, ce)
    _, cs, ce = sd[2]  # encapContentInfo
    eci = children(pkcs7, cs, ce)
    _, cs, ce = eci[1]  # [0] EXPLICIT
    _, cs, ce = der(pkcs7, cs)  # SpcIndirectDataContent SEQUENCE
    spc = children(pkcs7, cs, ce)
    _, cs, ce = spc[1]  # DigestInfo
    di = children(pkcs7, cs, ce)
    _, acs, ace = di[0]
    _, ocs, oce = der(pkcs7, acs)
    alg = DIGESTS.get(pkcs7[ocs:oce].hex(), "unknown")
    _, dcs, dce = di[1]
    return alg, pkcs7[dcs:dce].hex()


def digests(path):
    pe = pefile.PE(path, fast_load=True)
    data = pe.__data__[:]
    size = len(data)
    checksum_at = pe.OPTIONAL_HEADER.get_file_offset() + 64
    sec_dir = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_SECURITY"]]
    dir_at = sec_dir.get_file_offset()
    table_at, table_size = sec_dir.VirtualAddress, sec_dir.Size
    headers = pe.OPTIONAL_HEADER.SizeOfHeaders
    sections = sorted((s for s in pe.sections if s.SizeOfRawData > 0), key=lambda s: s.PointerToRawData)

    signed = []
    at = table_at
    while table_size and at < table_at + table_size:
        length = int.from_bytes(data[at:at + 4], "little")
        kind = int.from_bytes(data[at + 6:at + 8], "little")
        if kind == 2:
            signed.append(signed_digest(data[at + 8:at + length]))
        at += (length + 7) & ~7

    out = {"path": path, "straight": {}, "sections": {}, "signed": signed}
    for alg in sorted({a for a, _ in signed} | {"sha256"}):
        if alg == "unknown":
            continue
        h = hashlib.new(alg)
        h.update(data[:checksum_at])
        h.update(data[checksum_at + 4:dir_at])
        h.update(data[dir_at + 8:table_at])
        h.update(data[table_at + table_size:])
        out["straight"][alg] = h.hexdigest()

        h = hashlib.new(alg)
        h.update(data[:checksum_at])
        h.update(data[checksum_at + 4:dir_at])
        h.update(data[dir_at + 8:headers])
        hashed = headers
        for s in sections:
            h.update(data[s.PointerToRawData:s.PointerToRawData + s.SizeOfRawData])
            hashed += s.SizeOfRawData
        if size > hashed + table_size:
            h.update(data[hashed:size - table_size])
        out["sections"][alg] = h.hexdigest()

    # The CheckSum field and the directory entry are left out on purpose; they count as covered here.
    covered = [(0, headers)] + [(s.PointerToRawData, s.PointerToRawData + s.SizeOfRawData) for s in sections]
    if size > hashed + table_size:
        covered.append((hashed, size - table_size))
    gaps = []
    pos = 0
    for start, end in sorted(covered):
        if start > pos and pos < table_at:
            stop = min(start, table_at)
            gaps.append([pos, stop, sum(1 for b in data[pos:stop] if b)])
        pos = max(pos, end)
    if pos < table_at:
        gaps.append([pos, table_at, sum(1 for b in data[pos:table_at] if b)])
    out["gaps"] = gaps
    return out


for path in sys.argv[1:]:
    try:
        print(json.dumps(digests(path)))
    except Exception as err:  # a file pefile or the DER walker cannot read is reported, not fatal
        print(json.dumps({"path": path, "error": repr(err)}))
