-- A real editor against `runbook lsp`: headless Neovim opens a broken guide, waits for the
-- diagnostics, fixes one typo (an incremental change), waits for the new diagnostics,
-- asks for completion after `{{ duo.` and goes to `duo`'s definition. What it saw is
-- written as JSON to $RUNBOOK_OUT; tests/integration/neovim.rs asserts it. Works with
-- Neovim 0.7 (Debian 12's) and later: vim.lsp.start_client, vim.diagnostic.
local bin = os.getenv("RUNBOOK_BIN")
local file = os.getenv("RUNBOOK_FILE")
local out = os.getenv("RUNBOOK_OUT")
local seen = {}

-- Each diagnostic as `runbook check` prints it: 1-based line, and 1-based column counted
-- in characters (Neovim's `col` is a byte index into the line).
local function diagnostics(buffer)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buffer)) do
    local line = vim.api.nvim_buf_get_lines(buffer, d.lnum, d.lnum + 1, false)[1] or ""
    local characters = vim.str_utfindex(line, d.col)
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(found, { line = d.lnum + 1, column = characters + 1, code = code })
  end
  table.sort(found, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.column < b.column
  end)
  return found
end

-- The UTF-16 position just after the first `needle` in the buffer.
local function after(buffer, needle)
  for row, line in ipairs(vim.api.nvim_buf_get_lines(buffer, 0, -1, false)) do
    local _, last = line:find(needle, 1, true)
    if last then
      local _, units = vim.str_utfindex(line, last)
      return { line = row - 1, character = units }, last
    end
  end
  error("no " .. needle .. " in the buffer")
end

local function request(buffer, method, params)
  local responses, err = vim.lsp.buf_request_sync(buffer, method, params, 10000)
  assert(responses, method .. ": " .. tostring(err))
  for _, response in pairs(responses) do
    assert(not response.error, method .. ": " .. vim.inspect(response.error))
    return response.result
  end
end

local ok, problem = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buffer = vim.api.nvim_get_current_buf()
  local client = vim.lsp.start_client({
    name = "runbook",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
    flags = { debounce_text_changes = 0 },
  })
  assert(client, "the language server did not start")
  vim.lsp.buf_attach_client(buffer, client)
  assert(vim.wait(20000, function() return #vim.diagnostic.get(buffer) > 0 end, 20),
    "no diagnostics within 20 s")
  seen.opened = diagnostics(buffer)

  -- Fix the first `serial_numbr` as a user would: an edit in place.
  local position, last = after(buffer, "{{ duo.serial_numbr")
  vim.api.nvim_buf_set_text(buffer, position.line, last - 2, position.line, last, { "ber" })
  local before = #seen.opened
  assert(vim.wait(20000, function() return #vim.diagnostic.get(buffer) == before - 1 end, 20),
    "the diagnostics did not follow the edit")
  seen.edited = diagnostics(buffer)

  local uri = vim.uri_from_bufnr(buffer)
  local at = after(buffer, "{{ duo.")
  local result = request(buffer, "textDocument/completion",
    { textDocument = { uri = uri }, position = at })
  local items = result.items or result
  seen.completion = {}
  for _, item in ipairs(items) do table.insert(seen.completion, item.label) end
  table.sort(seen.completion)

  -- On `duo` of that `{{ duo.`: where `duo` is defined.
  at.character = at.character - 2
  local location = request(buffer, "textDocument/definition",
    { textDocument = { uri = uri }, position = at })
  if location[1] then location = location[1] end
  seen.definition = { uri = location.uri, start = location.range.start }
  seen.definition_line = vim.api.nvim_buf_get_lines(buffer, location.range.start.line,
    location.range.start.line + 1, false)[1]
  -- The server stops when Neovim does (`shutdown`, `exit`).
end)
if not ok then seen.error = tostring(problem) end
local handle = assert(io.open(out, "w"))
handle:write(vim.fn.json_encode(seen))
handle:close()
vim.cmd("qall!")
