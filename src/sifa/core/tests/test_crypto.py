"""SM3/SM4 against the published test vectors; field sealing binds ciphertext to its row."""

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sifa.core.crypto import CryptoError, FieldCipher, parse_field_keys, sm3_hex
from sifa.core.masking import mask_id_number, mask_name, mask_phone

pytestmark = pytest.mark.smoke


def test_sm3_vectors():
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_vector():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - the standard's test vector
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def _cipher(spec="k1:" + "11" * 16):
    return FieldCipher(keys=parse_field_keys(spec), index_key=b"\x02" * 32)


def test_seal_and_open_roundtrip_and_row_binding():
    cipher = _cipher()
    blob = cipher.seal("11010519491231002X", "accounts.NaturalPerson:abc:id_number")
    assert b"11010519491231002X" not in blob
    assert cipher.open(blob, "accounts.NaturalPerson:abc:id_number") == "11010519491231002X"
    with pytest.raises(CryptoError):
        cipher.open(blob, "accounts.NaturalPerson:other-row:id_number")
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(CryptoError):
        cipher.open(bytes(tampered), "accounts.NaturalPerson:abc:id_number")


def test_key_rotation_keeps_old_values_readable():
    old = _cipher("k1:" + "11" * 16)
    blob = old.seal("13800138000", "row")
    rotated = _cipher("k2:" + "22" * 16 + ",k1:" + "11" * 16)
    assert rotated.open(blob, "row") == "13800138000"
    assert rotated.key_id_of(rotated.seal("x", "row")) == "k2"
    with pytest.raises(CryptoError):
        _cipher("k2:" + "22" * 16).open(blob, "row")


def test_blind_index_is_deterministic_and_purpose_separated():
    cipher = _cipher()
    assert cipher.blind_index("13800138000", "phone") == cipher.blind_index("13800138000", "phone")
    assert cipher.blind_index("13800138000", "phone") != cipher.blind_index("13800138000", "id_number")


@pytest.mark.parametrize("spec", ["", "nokey", "k1:abcd", "k1:zz" + "00" * 15])
def test_bad_key_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_field_keys(spec)


def test_masks():
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三") == "张*"


def test_sm3_digests_do_not_share_state():
    from sifa.core.crypto import sm3

    for _ in range(3):
        assert (
            sm3(b"abc").hex()
            == sm3_hex(b"abc")
            == ("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        )
    assert sm3_hex(b"") == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"


def test_keyed_hmac_state_gives_the_same_mac_as_keying_each_time():
    """The blind index's HMAC-SM3 from a keyed state kept per process equals the MAC keyed anew,
    for every key length (short, a block, longer than a block) and message, again and again."""
    from sifa.core.crypto import hmac_sm3, hmac_sm3_keyed

    for key in (b"k", b"\x01" * 32, b"\x02" * 64, b"\x03" * 100):
        for data in (b"", b"applications.query_code:ABCDEFGH", b"x" * 200):
            assert hmac_sm3_keyed(key, data) == hmac_sm3(key, data)
            assert hmac_sm3_keyed(key, data) == hmac_sm3(key, data)
