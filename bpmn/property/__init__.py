"""物业服务质量红黑榜 definitions (package data)."""
