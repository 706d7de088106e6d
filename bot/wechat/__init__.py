"""WeChat: the REST client shared by the official account and the mini-program, and the
official-account channel."""
