"""Reading files: ones named by untrusted input (bounded, regular files only), and the package's own shipped
files (through importlib.resources)."""
