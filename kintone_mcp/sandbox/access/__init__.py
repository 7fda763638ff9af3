"""Who is calling and what they may do: authentication of every request (``principals``: the Basic gate,
passwords, app API tokens, User API tokens, OAuth access tokens), app permissions, the token tables, the OAuth
authorization server's clients, codes and tokens, and which OAuth scope each endpoint needs.
"""
