#!/usr/bin/python3
"""Independent integrity check of signed PE (Authenticode) and Mach-O (Apple code signing) files.

Written for the generalisation check (issue 7 section 1) and deliberately independent of sealwatch's TypeScript:
- PE: python3-pefile for the layout; the image digest ("authentihash") computed both as one straight pass and by the
  PE/COFF spec's section-by-section procedure; each signature's SpcIndirectDataContent digest, its messageDigest
  attribute and the signer's signature over the signed attributes (python3-cryptography) are checked for every
  WIN_CERTIFICATE entry and every nested signature.
- Mach-O: the SuperBlob is parsed here; every CodeDirectory's code-page hashes and special slots are recomputed; the
  CMS cdhash attributes are compared with the CodeDirectories and the CMS signature is verified by
  `openssl cms -verify -noverify -binary -inform DER -content <CodeDirectory>`.
Trust (chains, roots) is not judged here: only whether the bytes are what was signed.

Usage: independent.py FILE...   -> one JSON object per line: {"path", "format", "verdict", "detail", ...}
verdict: intact | broken | unsigned | adhoc | linker-signed | error
Run with Debian's /usr/bin/python3 (python3-pefile, python3-cryptography).
"""
import hashlib
import json
import os
import plistlib
import struct
import subprocess
import sys
import tempfile

import pefile
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# ---------------------------------------------------------------- a small DER/BER walker


class Node:
    __slots__ = ('tag', 'cons', 'start', 'cstart', 'end', 'kids')

    def __init__(self, tag, cons, start, cstart, end):
        self.tag, self.cons, self.start, self.cstart, self.end, self.kids = tag, cons, start, cstart, end, []

    def raw(self, b):
        return b[self.start:self.end]

    def content(self, b):
        return b[self.cstart:self.end] if not self.indef else b[self.cstart:self.end - 2]

    @property
    def indef(self):
        return getattr(self, '_indef', False)


class IndefNode(Node):
    __slots__ = ('_indef',)


def parse(b, off=0, end=None, depth=0):
    """Parse one TLV at off; returns Node (with children if constructed). Handles BER indefinite lengths."""
    if depth > 64:
        raise ValueError('ASN.1 nesting too deep')
    end = len(b) if end is None else end
    if off + 2 > end:
        raise ValueError('truncated TLV')
    t = b[off]
    p = off + 1
    if t & 0x1F == 0x1F:  # high tag number
        tagnum = 0
        while True:
            c = b[p]
            p += 1
            tagnum = (tagnum << 7) | (c & 0x7F)
            if not c & 0x80:
                break
        tag = (t & 0xE0, tagnum)
    else:
        tag = (t & 0xE0, t & 0x1F)
    cons = bool(t & 0x20)
    l0 = b[p]
    p += 1
    if l0 == 0x80:
        if not cons:
            raise ValueError('indefinite primitive')
        n = IndefNode(tag, cons, off, p, 0)
        n._indef = True
        q = p
        while True:
            if b[q] == 0 and b[q + 1] == 0:
                q += 2
                break
            k = parse(b, q, end, depth + 1)
            n.kids.append(k)
            q = k.end
        n.end = q
        return n
    if l0 & 0x80:
        nb = l0 & 0x7F
        if nb == 0 or nb > 4:
            raise ValueError('bad length')
        ln = int.from_bytes(b[p:p + nb], 'big')
        p += nb
    else:
        ln = l0
    if p + ln > end:
        raise ValueError('TLV runs past its container')
    n = Node(tag, cons, off, p, p + ln)
    if cons:
        q = p
        while q < p + ln:
            k = parse(b, q, p + ln, depth + 1)
            n.kids.append(k)
            q = k.end
    return n


UNIV, CTX = 0x00, 0x80


def is_(n, cls, num):
    return n.tag == (cls, num)


def oid_str(b, n):
    v = n.content(b)
    first = v[0]
    parts = [str(min(first // 40, 2)), str(first - 40 * min(first // 40, 2))]
    acc = 0
    for c in v[1:]:
        acc = (acc << 7) | (c & 0x7F)
        if not c & 0x80:
            parts.append(str(acc))
            acc = 0
    return '.'.join(parts)


def octets(b, n):
    """OCTET STRING value (also BER constructed)."""
    if not n.cons:
        return n.content(b)
    return b''.join(octets(b, k) for k in n.kids)


HASH_OIDS = {
    '1.2.840.113549.2.5': 'md5', '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256',
    '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512', '2.16.840.1.101.3.4.2.4': 'sha224',
}
CRYPTO_HASH = {'md5': hashes.MD5, 'sha1': hashes.SHA1, 'sha256': hashes.SHA256, 'sha384': hashes.SHA384,
               'sha512': hashes.SHA512, 'sha224': hashes.SHA224}
OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
OID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
OID_SPC_INDIRECT = '1.3.6.1.4.1.311.2.1.4'
OID_SPC_PE_IMAGE = '1.3.6.1.4.1.311.2.1.15'
OID_NESTED = '1.3.6.1.4.1.311.2.4.1'
OID_CDHASHES_PLIST = '1.2.840.113635.100.9.1'
OID_CDHASHES2 = '1.2.840.113635.100.9.2'


def signed_data(b):
    """ContentInfo(SignedData) -> dict with certificates, signer infos, encapsulated content."""
    ci = parse(b)
    if oid_str(b, ci.kids[0]) != OID_SIGNED_DATA:
        raise ValueError('not a SignedData ContentInfo')
    sd = ci.kids[1].kids[0]
    ks = sd.kids
    i = 2
    encap = ks[i]
    i += 1
    certs, signers = [], None
    while i < len(ks):
        k = ks[i]
        if is_(k, CTX | 0x20, 0):
            certs = [c.raw(b) for c in k.kids]
        elif is_(k, UNIV | 0x20, 17):
            signers = k
        i += 1
    etype = oid_str(b, encap.kids[0])
    econtent = encap.kids[1].kids[0] if len(encap.kids) > 1 else None
    return {'b': b, 'certs': certs, 'signers': signers.kids if signers else [], 'etype': etype,
            'econtent': econtent, 'digest_algs': [oid_str(b, a.kids[0]) for a in ks[1].kids]}


def load_certs(sd):
    out = []
    for raw in sd['certs']:
        try:
            out.append(x509.load_der_x509_certificate(raw))
        except Exception:  # attribute certificates, odd encodings: not signers
            pass
    return out


def name_of(cert):
    def get(oid):
        v = cert.subject.get_attributes_for_oid(oid)
        return v[0].value if v else None
    return {'cn': get(x509.NameOID.COMMON_NAME), 'o': get(x509.NameOID.ORGANIZATION_NAME),
            'ou': get(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)}


def signer_info(sd, si):
    """Parse one SignerInfo; find its certificate; verify messageDigest-independent parts later."""
    b = sd['b']
    ks = si.kids
    sid = ks[1]
    alg = HASH_OIDS.get(oid_str(b, ks[2].kids[0]), oid_str(b, ks[2].kids[0]))
    i = 3
    signed_attrs = None
    if is_(ks[i], CTX | 0x20, 0):
        signed_attrs = ks[i]
        i += 1
    sig_alg = oid_str(b, ks[i].kids[0])
    sig = octets(b, ks[i + 1])
    unsigned = ks[i + 2] if len(ks) > i + 2 else None
    attrs = {}
    if signed_attrs is not None:
        for a in signed_attrs.kids:
            attrs.setdefault(oid_str(b, a.kids[0]), []).extend(a.kids[1].kids)
    cert = None
    certs = load_certs(sd)
    if is_(sid, UNIV | 0x20, 16):  # IssuerAndSerialNumber
        serial = int.from_bytes(sid.kids[1].content(b), 'big', signed=True)
        issuer_raw = sid.kids[0].raw(b)
        for c in certs:
            if c.serial_number == serial and c.issuer.public_bytes() == issuer_raw:
                cert = c
                break
        if cert is None:
            for c in certs:
                if c.serial_number == serial:
                    cert = c
                    break
    else:  # [0] SubjectKeyIdentifier
        ski = sid.content(b)
        for c in certs:
            try:
                if c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == ski:
                    cert = c
            except x509.ExtensionNotFound:
                pass
    return {'alg': alg, 'sig_alg': sig_alg, 'sig': sig, 'signed_attrs': signed_attrs, 'attrs': attrs,
            'unsigned': unsigned, 'cert': cert}


def verify_signature(sd, s):
    """The signer's signature over the DER signed attributes (tag [0] read as SET)."""
    if s['cert'] is None:
        return False, 'signer certificate not found in the SignedData'
    b = sd['b']
    data = b'\x31' + b[s['signed_attrs'].start + 1:s['signed_attrs'].end]
    h = CRYPTO_HASH.get(s['alg'])
    if h is None:
        return False, f'unsupported digest {s["alg"]}'
    key = s['cert'].public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if s['sig_alg'] == '1.2.840.113549.1.1.10':
                key.verify(s['sig'], data, padding.PSS(padding.MGF1(h()), padding.PSS.AUTO), h())
            else:
                key.verify(s['sig'], data, padding.PKCS1v15(), h())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(s['sig'], data, ec.ECDSA(h()))
        else:
            return False, f'unsupported key type {type(key).__name__}'
    except Exception as e:  # InvalidSignature and friends
        return False, f'signature does not verify ({type(e).__name__})'
    return True, 'ok'


# ---------------------------------------------------------------- PE / Authenticode


def pe_layout(data):
    pe = pefile.PE(data=data, fast_load=True)
    opt = pe.OPTIONAL_HEADER
    ck = opt.get_field_absolute_offset('CheckSum')
    sec_dir = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_SECURITY']]
    dd = sec_dir.get_file_offset()
    machine = pe.FILE_HEADER.Machine
    sections = sorted(((s.PointerToRawData, s.SizeOfRawData) for s in pe.sections if s.SizeOfRawData), key=lambda x: x[0])
    return {'checksum_off': ck, 'dd_off': dd, 'table': (sec_dir.VirtualAddress, sec_dir.Size),
            'size_of_headers': opt.SizeOfHeaders, 'sections': sections, 'machine': machine,
            'magic': opt.Magic, 'subsystem': opt.Subsystem}


def pe_digests(data, lay, alg):
    """Both image digests for one algorithm, plus the gap report."""
    ck, dd = lay['checksum_off'], lay['dd_off']
    t_off, t_size = lay['table']
    end = t_off if t_size else len(data)
    straight = hashlib.new(alg)
    straight.update(data[0:ck])
    straight.update(data[ck + 4:dd])
    straight.update(data[dd + 8:end])
    # PE/COFF spec (Authenticode_PE.docx): headers, then sections by PointerToRawData, then the rest up to the table.
    spec = hashlib.new(alg)
    soh = lay['size_of_headers']
    spec.update(data[0:ck])
    spec.update(data[ck + 4:dd])
    spec.update(data[dd + 8:soh])
    summed = soh
    gaps = []
    pos = soh
    for ptr, size in lay['sections']:
        spec.update(data[ptr:ptr + size])
        summed += size
        if ptr > pos:
            gaps.append((pos, ptr))
        pos = max(pos, ptr + size)
    if summed < end:
        spec.update(data[summed:end])
    nonzero_gap = sum(1 for a, z in gaps for c in data[a:z] if c)
    contiguous = not gaps and pos <= end
    return straight.digest(), spec.digest(), {'gaps': len(gaps), 'gap_bytes': sum(z - a for a, z in gaps),
                                              'nonzero_gap_bytes': nonzero_gap, 'contiguous': contiguous}


def authenticode_signatures(der, depth=0):
    """All signatures in one PKCS#7 blob, nested ones included (unsigned attribute 1.3.6.1.4.1.311.2.4.1)."""
    sd = signed_data(der)
    out = []
    for si in sd['signers']:
        s = signer_info(sd, si)
        rec = {'depth': depth, 'etype': sd['etype'], 'alg': s['alg']}
        b = der
        econ = sd['econtent']
        if sd['etype'] != OID_SPC_INDIRECT or econ is None:
            rec['error'] = f'eContentType {sd["etype"]} is not SpcIndirectDataContent'
            out.append(rec)
            continue
        data_attr, digest_info = econ.kids[0], econ.kids[1]
        rec['data_type'] = oid_str(b, data_attr.kids[0])
        rec['digest_alg'] = HASH_OIDS.get(oid_str(b, digest_info.kids[0].kids[0]), '?')
        rec['signed_digest'] = octets(b, digest_info.kids[1]).hex()
        # messageDigest = H(content octets of the SpcIndirectDataContent SEQUENCE, without tag and length)
        md = s['attrs'].get(OID_MESSAGE_DIGEST)
        got = hashlib.new(s['alg'], econ.content(b)).digest() if s['alg'] in CRYPTO_HASH else None
        rec['message_digest_ok'] = bool(md) and got is not None and octets(b, md[0]) == got
        ok, why = verify_signature(sd, s)
        rec['signature_ok'], rec['signature_detail'] = ok, why
        if s['cert'] is not None:
            rec['signer'] = name_of(s['cert'])
        out.append(rec)
        if s['unsigned'] is not None:
            for a in s['unsigned'].kids:
                if oid_str(b, a.kids[0]) == OID_NESTED:
                    for v in a.kids[1].kids:
                        out.extend(authenticode_signatures(v.raw(b), depth + 1))
    return out


def check_pe(path, data):
    lay = pe_layout(data)
    res = {'path': path, 'format': 'pe', 'machine': hex(lay['machine'])}
    t_off, t_size = lay['table']
    if not t_size:
        res['verdict'] = 'unsigned'
        return res
    if t_off < lay['size_of_headers']:
        res['verdict'], res['detail'] = 'broken', 'certificate table inside the headers'
        return res
    if t_off + t_size > len(data):
        # The signature was cut off: there is none to verify (osslsigncode: "Unable to extract existing signature").
        res['verdict'], res['detail'] = 'unsigned', 'certificate table runs past the end of the file (signature cut off)'
        return res
    res['table_at_eof'] = t_off + t_size == len(data)
    sigs, entries, p = [], 0, t_off
    while p < t_off + t_size:
        ln, rev, typ = struct.unpack_from('<IHH', data, p)
        if ln < 8 or p + ln > t_off + t_size:
            res['verdict'], res['detail'] = 'broken', 'bad WIN_CERTIFICATE length'
            return res
        if typ == 2:
            entries += 1
            blob = data[p + 8:p + ln]
            der_len = parse(blob).end
            tail = blob[der_len:]
            for s in authenticode_signatures(blob[:der_len]):
                s['entry'] = entries - 1
                s['padding_nonzero'] = any(tail)
                sigs.append(s)
        p += (ln + 7) & ~7
    res['entries'] = entries
    digests = {}
    for s in sigs:
        alg = s.get('digest_alg')
        if alg not in CRYPTO_HASH:
            continue
        if alg not in digests:
            digests[alg] = pe_digests(data, lay, alg)
        straight, spec, gaps = digests[alg]
        res['layout'] = gaps
        s['straight_match'] = straight.hex() == s['signed_digest']
        s['spec_match'] = spec.hex() == s['signed_digest']
    res['signatures'] = sigs
    problems = []
    for i, s in enumerate(sigs):
        if 'error' in s:
            problems.append(f'sig{i}: {s["error"]}')
            continue
        if not (s.get('straight_match') or s.get('spec_match')):
            problems.append(f'sig{i}: image digest matches neither the straight pass nor the spec procedure')
        if not s['message_digest_ok']:
            problems.append(f'sig{i}: messageDigest attribute does not match the content')
        if not s['signature_ok']:
            problems.append(f'sig{i}: {s["signature_detail"]}')
    if not sigs:
        problems.append('no signature in the certificate table')
    res['how'] = sorted({h for s in sigs for h, ok in (('straight', s.get('straight_match')), ('spec', s.get('spec_match'))) if ok})
    res['verdict'] = 'broken' if problems else 'intact'
    res['detail'] = '; '.join(problems) if problems else (
        f'{len(sigs)} signature(s) in {entries} entr{"y" if entries == 1 else "ies"}: digest ({"/".join(res["how"])}), messageDigest and signer signature verify')
    top = next((s for s in sigs if s.get('signer')), None)
    if top:
        res['signer'] = top['signer']
    res['data_types'] = sorted({s.get('data_type') for s in sigs if s.get('data_type')})
    return res


# ---------------------------------------------------------------- Mach-O / Apple code signing

CD_HASH = {1: 'sha1', 2: 'sha256', 3: 'sha256', 4: 'sha384'}
CD_HASH_LEN = {1: 20, 2: 32, 3: 20, 4: 48}


def macho_slices(data):
    magic = struct.unpack_from('>I', data, 0)[0]
    if magic in (0xCAFEBABE, 0xCAFEBABF):
        n = struct.unpack_from('>I', data, 4)[0]
        out = []
        for i in range(n):
            if magic == 0xCAFEBABE:
                ct, cs, off, size, al = struct.unpack_from('>iiIII', data, 8 + 20 * i)
            else:
                ct, cs, off, size, al, _ = struct.unpack_from('>iiQQII', data, 8 + 32 * i)
            out.append((ct, off, size))
        return out
    ct = struct.unpack_from('<i', data, 4)[0]
    return [(ct, 0, len(data))]


CPU = {7: 'i386', 0x1000007: 'x86_64', 12: 'arm', 0x100000C: 'arm64', 0x200000C: 'arm64_32'}


def macho_sections(sl):
    """(code signature (dataoff, datasize), __TEXT,__info_plist bytes or None)."""
    magic = struct.unpack_from('<I', sl, 0)[0]
    is64 = magic == 0xFEEDFACF
    if magic not in (0xFEEDFACE, 0xFEEDFACF):
        raise ValueError(f'not a thin Mach-O (magic {magic:#x})')
    ncmds = struct.unpack_from('<I', sl, 16)[0]
    p = 32 if is64 else 28
    cs, info = None, None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from('<II', sl, p)
        if cmd == 0x1D:
            cs = struct.unpack_from('<II', sl, p + 8)
        elif cmd in (0x19, 0x1):
            segname = sl[p + 8:p + 24].rstrip(b'\0')
            if segname == b'__TEXT':
                nsects = struct.unpack_from('<I', sl, p + (64 if is64 else 48))[0]
                q = p + (72 if is64 else 56)
                for _ in range(nsects):
                    sect = sl[q:q + 16].rstrip(b'\0')
                    if is64:
                        addr, ssize, off = struct.unpack_from('<QQI', sl, q + 32)
                    else:
                        addr, ssize, off = struct.unpack_from('<III', sl, q + 32)
                    if sect == b'__info_plist':
                        info = sl[off:off + ssize]
                    q += 80 if is64 else 68
        p += size
    return cs, info


def check_slice(sl, ctype):
    rec = {'arch': CPU.get(ctype, hex(ctype))}
    cs, info_plist = macho_sections(sl)
    if cs is None:
        rec['verdict'] = 'unsigned'
        return rec
    off, size = cs
    sb = sl[off:off + size]
    magic, length, count = struct.unpack_from('>III', sb, 0)
    if magic != 0xFADE0CC0:
        rec['verdict'], rec['detail'] = 'broken', 'no SuperBlob at LC_CODE_SIGNATURE'
        return rec
    blobs = {}
    for i in range(count):
        typ, boff = struct.unpack_from('>II', sb, 12 + 8 * i)
        bm, bl = struct.unpack_from('>II', sb, boff)
        blobs[typ] = sb[boff:boff + bl]
    cds = [(t, blobs[t]) for t in sorted(blobs) if t == 0 or 0x1000 <= t < 0x1005]
    problems, notes = [], []
    flags0 = None
    best = None
    for t, cd in cds:
        version, flags, hash_off, ident_off, n_special, n_code, code_limit, hsize, htype, platform, pshift = \
            struct.unpack_from('>IIIIIIIBBBB', cd, 8)
        if t == 0:
            flags0 = flags
            rec['identifier'] = cd[ident_off:cd.index(b'\0', ident_off)].decode('utf-8', 'replace')
            if version >= 0x20200:
                team_off = struct.unpack_from('>I', cd, 48)[0]
                if team_off:
                    rec['team'] = cd[team_off:cd.index(b'\0', team_off)].decode()
        if version >= 0x20300:
            cl64 = struct.unpack_from('>Q', cd, 56)[0]
            if cl64:
                code_limit = cl64
        alg = CD_HASH.get(htype)
        if alg is None:
            problems.append(f'CD {t:#x}: unknown hash type {htype}')
            continue
        trunc = CD_HASH_LEN[htype]
        page = 1 << pshift if pshift else code_limit
        if code_limit > len(sl):
            problems.append(f'CD {t:#x}: codeLimit past the slice')
            continue
        bad = 0
        for i in range(n_code):
            want = cd[hash_off + i * hsize:hash_off + (i + 1) * hsize]
            got = hashlib.new(alg, sl[i * page:min((i + 1) * page, code_limit)]).digest()[:trunc]
            if want[:trunc] != got:
                bad += 1
        if n_code != ((code_limit - 1) >> pshift) + 1 if pshift else n_code != 1:
            problems.append(f'CD {t:#x}: nCodeSlots {n_code} does not cover codeLimit {code_limit}')
        if bad:
            problems.append(f'CD {t:#x} ({alg}): {bad} of {n_code} code pages do not match')
        for slot in range(1, n_special + 1):
            want = cd[hash_off - slot * hsize:hash_off - (slot - 1) * hsize][:trunc]
            if not any(want):
                continue
            if slot in blobs:
                if hashlib.new(alg, blobs[slot]).digest()[:trunc] != want:
                    problems.append(f'CD {t:#x}: special slot {slot} does not match its blob')
            elif slot == 1 and info_plist is not None:
                if hashlib.new(alg, info_plist).digest()[:trunc] != want:
                    problems.append(f'CD {t:#x}: Info.plist slot does not match __TEXT,__info_plist')
            elif slot == 3:
                notes.append('resource seal (slot 3) not checkable for a bare binary')
            else:
                notes.append(f'special slot {slot} set but nothing to compare')
        cdhash = hashlib.new(alg, cd).digest()
        rank = {1: 1, 3: 2, 2: 3, 4: 4}[htype]
        if best is None or rank > best[0]:
            best = (rank, cdhash[:20].hex())
        rec.setdefault('cdhashes', {})[f'{t:#x}'] = (alg, cdhash.hex())
    if best:
        rec['cdhash'] = best[1]
    # entitlements: report how a strict XML parser and a lenient one see them (informational only)
    if 5 in blobs:
        xml = blobs[5][8:]
        try:
            plistlib.loads(xml)
            rec['entitlements'] = 'strict-ok'
        except Exception:
            stripped = xml.lstrip()
            endpos = stripped.rfind(b'</plist>')
            try:
                plistlib.loads(stripped[:endpos + 8] if endpos >= 0 else stripped)
                rec['entitlements'] = 'lenient-only (leading whitespace or trailing data)'
            except Exception:
                rec['entitlements'] = 'unparseable'
    cms = blobs.get(0x10000)
    if flags0 is not None and flags0 & 0x20000:
        rec['verdict'] = 'broken' if problems else 'linker-signed'
    elif cms is None or len(cms) <= 8:
        rec['verdict'] = 'broken' if problems else 'adhoc'
    else:
        der = cms[8:]
        cms_ok, cms_detail, signer = check_apple_cms(der, blobs[0], [c for _, c in cds])
        if signer:
            rec['signer'] = signer
        if not cms_ok:
            problems.append(cms_detail)
        rec['cms'] = cms_detail
        rec['verdict'] = 'broken' if problems else 'intact'
    rec['detail'] = '; '.join(problems + sorted(set(notes)))
    return rec


def check_apple_cms(der, cd0, cds):
    sd = signed_data(der)
    if not sd['signers']:
        return False, 'CMS without SignerInfo', None
    s = signer_info(sd, sd['signers'][0])
    b = sd['b']
    problems = []
    md = s['attrs'].get(OID_MESSAGE_DIGEST)
    if not md or octets(b, md[0]) != hashlib.new(s['alg'], cd0).digest():
        problems.append('CMS messageDigest does not match the slot-0 CodeDirectory')
    # cdhash attributes: 100.9.1 (plist of truncated cdhashes), 100.9.2 (SET of {hash OID, full cdhash})
    want_full = {}
    for cd in cds:
        htype = cd[37]
        alg = CD_HASH.get(htype)
        if alg:
            want_full[alg] = hashlib.new(alg, cd).digest()
    if OID_CDHASHES_PLIST in s['attrs']:
        pl = plistlib.loads(octets(b, s['attrs'][OID_CDHASHES_PLIST][0]))
        got = [bytes(x) for x in pl.get('cdhashes', [])]
        want = [hashlib.new(CD_HASH[cd[37]], cd).digest()[:20] for cd in cds]
        if got != want:
            problems.append('CMS cdhashes plist (100.9.1) does not list the CodeDirectories')
    if OID_CDHASHES2 in s['attrs']:
        for item in s['attrs'][OID_CDHASHES2]:
            alg = HASH_OIDS.get(oid_str(b, item.kids[0]))
            val = octets(b, item.kids[1])
            if alg in want_full and want_full[alg] != val:
                problems.append(f'CMS cdhash attribute (100.9.2, {alg}) does not match')
    ok, why = verify_signature(sd, s)
    if not ok:
        problems.append(f'CMS: {why} (python)')
    # and OpenSSL's own check of the detached signature over the slot-0 CodeDirectory
    with tempfile.TemporaryDirectory() as d:
        cp, dp = os.path.join(d, 'cms.der'), os.path.join(d, 'cd.bin')
        open(cp, 'wb').write(der)
        open(dp, 'wb').write(cd0)
        r = subprocess.run(['openssl', 'cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', cp,
                            '-content', dp, '-out', os.devnull], capture_output=True, text=True)
        if r.returncode != 0:
            problems.append('openssl cms -verify failed: ' + (r.stderr.strip().splitlines() or ['?'])[0])
    signer = name_of(s['cert']) if s['cert'] is not None else None
    return (not problems), ('; '.join(problems) if problems else 'CMS signature (python + openssl cms) and cdhash attributes verify'), signer


def check_macho(path, data):
    res = {'path': path, 'format': 'macho', 'slices': []}
    for ctype, off, size in macho_slices(data):
        try:
            res['slices'].append(check_slice(data[off:off + size], ctype))
        except Exception as e:
            res['slices'].append({'arch': CPU.get(ctype, hex(ctype)), 'verdict': 'error', 'detail': f'{type(e).__name__}: {e}'})
    vs = [s['verdict'] for s in res['slices']]
    for v in ('error', 'broken', 'unsigned', 'linker-signed', 'adhoc', 'intact'):  # a universal binary is as good as its weakest slice
        if v in vs:
            res['verdict'] = v
            break
    res['detail'] = ' | '.join(f'{s["arch"]}: {s["verdict"]}' + (f' ({s["detail"]})' if s.get('detail') else '') for s in res['slices'])
    signer = next((s.get('signer') for s in res['slices'] if s.get('signer')), None)
    if signer:
        res['signer'] = signer
    return res


def check(path):
    data = open(path, 'rb').read()
    try:
        if data[:2] == b'MZ':
            return check_pe(path, data)
        if data[:4] in (b'\xca\xfe\xba\xbe', b'\xca\xfe\xba\xbf', b'\xce\xfa\xed\xfe', b'\xcf\xfa\xed\xfe'):
            return check_macho(path, data)
        return {'path': path, 'format': 'other', 'verdict': 'error', 'detail': 'neither PE nor Mach-O'}
    except Exception as e:
        return {'path': path, 'verdict': 'error', 'detail': f'{type(e).__name__}: {e}'}


if __name__ == '__main__':
    for p in sys.argv[1:]:
        print(json.dumps(check(p), default=str), flush=True)
