-- wrk script for bench/api.py and bench/soak.py: POST requests read from a file and cycled
-- in order, one per line "path<TAB>device<TAB>token<TAB>json body"; device and token may be
-- "-" (none). A body holding __NOW_MS__ gets the send time (epoch ms, to the second) there.
local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, device, token, body = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t(.+)")
    local headers = {["Content-Type"] = "application/json"}
    if device ~= "-" then
      headers["X-Device-Id"] = device
      headers["Authorization"] = "Bearer " .. token
    end
    if body:find("__NOW_MS__", 1, true) then
      requests[#requests + 1] = {path = path, headers = headers, body = body}
    else
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
  end
  assert(#requests > 0, "no requests read from " .. args[1])
end

function request()
  next_index = next_index % #requests + 1
  local r = requests[next_index]
  if type(r) == "string" then
    return r
  end
  local now = string.format("%d", os.time() * 1000)
  return wrk.format("POST", r.path, r.headers, (r.body:gsub("__NOW_MS__", now)))
end
