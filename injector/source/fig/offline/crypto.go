// Package offline is Fig.Client's offline copy of a client's settings, in
// Fig.Client's own format: an OfflineSettingContainer (PersistedUtc and the
// settings as Fig served them), serialized as Newtonsoft writes it and
// encrypted with a key derived from the client secret, exactly as
// Fig.Client's Cryptography does. Whoever holds only the ciphertext (the
// relay) cannot read it; a pod with the client secret can.
//
// Fig sources, at v4.0.0:
//   - src/common/Fig.Common.NetStandard/Cryptography/Cryptography.cs
//     (Encrypt, DecryptInternal, GetOrCreateKeyPair);
//   - src/client/Fig.Client/OfflineSettings/OfflineSettingsManager.cs
//     (Save, Get: a copy that does not decrypt is deleted);
//   - src/client/Fig.Client/OfflineSettings/OfflineSettingContainer.cs.
//
// It imports only the standard library and the fig packages, so the agent
// stays small.
package offline

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1" // Fig.Client's Rfc2898DeriveBytes(string, byte[], int) is PBKDF2-HMAC-SHA1; the format is fixed by it.
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf16"
)

// salt is Cryptography._salt.
var salt = []byte{0x10, 0x46, 0x55, 0x2e, 0x55, 0x2a, 0x10, 0xee, 0x11, 0x5c, 0xcc, 0xaa, 0x24, 0x1a, 0x6c, 0x23, 0x44, 0xbb}

// iterations is Cryptography.DefaultIterationCount.
const iterations = 1000

// ErrDecrypt says a ciphertext does not decrypt with the client secret
// given: the secret was rotated, or it is not a copy of this client.
var ErrDecrypt = errors.New("the offline copy does not decrypt with this client secret")

// cipherFor derives the AES-256 cipher and IV as GetOrCreateKeyPair does:
// new Rfc2898DeriveBytes(clientSecret, salt, 1000) (PBKDF2-HMAC-SHA1 of the
// secret's UTF-8 bytes), then GetBytes(32) for the key and GetBytes(16) for
// the IV, which together are the first 48 bytes of one PBKDF2 output.
func cipherFor(clientSecret string) (cipher.Block, []byte, error) {
	dk, err := pbkdf2.Key(sha1.New, clientSecret, salt, iterations, 48)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(dk[:32])
	if err != nil {
		return nil, nil, err
	}
	return block, dk[32:], nil
}

// Encrypt is Cryptography.Encrypt: AES-256-CBC with PKCS#7 padding (.NET's
// Aes.Create() defaults) over the UTF-16LE bytes of plaintext
// (Encoding.Unicode), as Base64. An empty plaintext gives "".
//
// The IV is derived from the secret, not random, so one plaintext always
// gives one ciphertext: that is Fig.Client's format, kept so a copy is
// exactly what Fig.Client would write.
func Encrypt(clientSecret, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	block, iv, err := cipherFor(clientSecret)
	if err != nil {
		return "", err
	}
	data := pad(utf16le(plaintext), block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	return base64.StdEncoding.EncodeToString(data), nil
}

// Decrypt is Cryptography.Decrypt with one key: Base64, AES-256-CBC,
// PKCS#7, UTF-16LE. A ciphertext that is not Base64, not whole blocks or
// whose padding is wrong (another secret) is ErrDecrypt. "" gives "".
func Decrypt(clientSecret, ciphertext string) (string, error) {
	if ciphertext == "" {
		return "", nil
	}
	data, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return "", fmt.Errorf("%w: not Base64", ErrDecrypt)
	}
	block, iv, err := cipherFor(clientSecret)
	if err != nil {
		return "", err
	}
	if len(data) == 0 || len(data)%block.BlockSize() != 0 {
		return "", fmt.Errorf("%w: not whole AES blocks", ErrDecrypt)
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, data)
	plain, ok := unpad(data, block.BlockSize())
	if !ok || len(plain)%2 != 0 {
		return "", ErrDecrypt
	}
	return fromUTF16LE(plain), nil
}

// pad appends PKCS#7 padding: always 1 to size bytes.
func pad(b []byte, size int) []byte {
	n := size - len(b)%size
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// unpad checks and removes PKCS#7 padding, as .NET's decryptor does.
func unpad(b []byte, size int) ([]byte, bool) {
	n := int(b[len(b)-1])
	if n == 0 || n > size || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// utf16le is Encoding.Unicode.GetBytes.
func utf16le(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	return b
}

// fromUTF16LE is Encoding.Unicode.GetString.
func fromUTF16LE(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}
