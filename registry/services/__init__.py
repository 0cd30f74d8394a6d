"""Use cases. Each public function is one transaction (`with uow:`) and records its events."""
