from mfa.cli import console

console()
