// JWT signing keys in AWS Secrets Manager, rotated on a schedule, with the public keys published as a JWKS in S3.
package jwksrotation
