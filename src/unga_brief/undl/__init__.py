"""undl"""
