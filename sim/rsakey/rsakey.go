// Package rsakey loads the RSA key material payment providers hand out, in the shapes
// their SDKs use (PEM PKCS#8 or PKCS#1, bare base64 DER, X.509 certificates), and signs and
// verifies with PKCS#1 v1.5, the padding every provider here uses.
package rsakey

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ParsePrivate reads a private key from PEM (PKCS#8 or PKCS#1) or bare base64 DER.
func ParsePrivate(data []byte) (*rsa.PrivateKey, error) {
	der, err := derOf(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is %T, not RSA", k)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not an RSA private key in PKCS#8 or PKCS#1 form")
}

// ParsePublic reads a public key from PEM or DER: SPKI, PKCS#1 or an X.509 certificate.
func ParsePublic(data []byte) (*rsa.PublicKey, error) {
	der, err := derOf(data)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, not RSA", k)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	if c, err := x509.ParseCertificate(der); err == nil {
		rk, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("certificate key is %T, not RSA", c.PublicKey)
		}
		return rk, nil
	}
	return nil, errors.New("not an RSA public key (SPKI, PKCS#1 or X.509 certificate)")
}

// derOf accepts PEM, bare base64 (what SDK config files hold) or raw DER.
func derOf(data []byte) ([]byte, error) {
	if block, _ := pem.Decode(data); block != nil {
		return block.Bytes, nil
	}
	trimmed := strings.Join(strings.Fields(string(data)), "")
	if der, err := base64.StdEncoding.DecodeString(trimmed); err == nil && len(der) > 0 {
		return der, nil
	}
	if len(data) > 0 && data[0] == 0x30 { // an ASN.1 SEQUENCE: raw DER
		return data, nil
	}
	return nil, errors.New("neither PEM, base64 nor DER")
}

// LoadPrivate reads a private key file from fsys, naming the file in any error.
func LoadPrivate(fsys fs.FS, name string) (*rsa.PrivateKey, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// LoadPublic reads a public key or certificate file from fsys, naming the file in any error.
func LoadPublic(fsys fs.FS, name string) (*rsa.PublicKey, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	k, err := ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// Sign signs msg with PKCS#1 v1.5 over the given hash.
func Sign(key *rsa.PrivateKey, hash crypto.Hash, msg []byte) ([]byte, error) {
	h := hash.New()
	h.Write(msg)
	return rsa.SignPKCS1v15(nil, key, hash, h.Sum(nil))
}

// Verify checks a PKCS#1 v1.5 signature over msg.
func Verify(key *rsa.PublicKey, hash crypto.Hash, msg, sig []byte) error {
	h := hash.New()
	h.Write(msg)
	return rsa.VerifyPKCS1v15(key, hash, h.Sum(nil), sig)
}

// DecodeBase64 decodes standard base64 with or without padding, ignoring surrounding
// white space: clients differ on both.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
