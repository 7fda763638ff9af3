"""Users, organizations and groups from the cybozu.com User API, so that user fields get valid codes."""
