"""A git server over smart HTTP: dulwich's WSGI app serving an in-memory repository of one commit."""

from __future__ import annotations

from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import MemoryRepo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain


def repository() -> MemoryRepo:
    repo = MemoryRepo()
    blob = Blob.from_string(b"served from a scratch image\n")
    tree = Tree()
    tree.add(b"README", 0o100644, blob.id)
    commit = Commit()
    commit.tree = tree.id
    commit.author = commit.committer = b"corpus <corpus@example.com>"
    commit.author_time = commit.commit_time = 1_796_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"the first commit\n"
    for item in (blob, tree, commit):
        repo.object_store.add_object(item)
    repo.refs[b"refs/heads/main"] = commit.id
    repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/main")
    return repo


app = make_wsgi_chain(DictBackend({"/": repository()}))
